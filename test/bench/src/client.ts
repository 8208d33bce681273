/** One STOMP connection of the load generator: raw `net`, the generator's own codec. */
import net from 'node:net';
import { COMMANDS, FrameReader, encodeFrame, headerOf, headersOf, isCommand, type FrameView, type HeaderList } from './stomp.js';

export type MessageHandler = (frame: FrameView) => void;

export interface ConnectOptions {
  readonly port: number;
  readonly host?: string;
  readonly login?: { readonly login: string; readonly passcode: string };
  /** Called for every MESSAGE, synchronously, with a view valid only during the call. */
  readonly onMessage?: MessageHandler;
  readonly timeoutMs?: number;
}

export class StompClient {
  readonly socket: net.Socket;
  private readonly reader: FrameReader;
  private readonly receipts = new Map<string, () => void>();
  private receiptCounter = 0;
  /** RECEIPT frames whose id no waiter asked for (e.g. the durable producer's every-100th receipts). */
  unclaimedReceipts = 0;
  /** The first ERROR frame the server sent, readable, or undefined. */
  error: string | undefined;
  closed = false;
  private connected: (() => void) | undefined;
  private failed: ((err: Error) => void) | undefined;
  onMessage: MessageHandler;
  /** Called once when the connection ends unexpectedly (ERROR frame or close before `close()`). */
  onFailure: ((reason: string) => void) | undefined;
  private closing = false;

  private constructor(socket: net.Socket, onMessage: MessageHandler) {
    this.socket = socket;
    this.onMessage = onMessage;
    this.reader = new FrameReader((frame) => this.onFrame(frame));
    socket.on('data', (chunk: Buffer) => this.reader.push(chunk));
    socket.on('error', (err) => this.fail(`socket error: ${err.message}`));
    socket.on('close', () => {
      this.closed = true;
      if (!this.closing) this.fail('the server closed the connection');
    });
  }

  static async connect(options: ConnectOptions): Promise<StompClient> {
    const socket = net.connect(options.port, options.host ?? '127.0.0.1');
    socket.setNoDelay(true);
    const client = new StompClient(socket, options.onMessage ?? (() => undefined));
    const headers: Array<[string, string]> = [['accept-version', '1.2'], ['host', '/'], ['heart-beat', '0,0']];
    if (options.login) headers.push(['login', options.login.login], ['passcode', options.login.passcode]);
    const timeoutMs = options.timeoutMs ?? 15000;
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`no CONNECTED within ${timeoutMs} ms`)), timeoutMs);
      client.connected = () => { clearTimeout(timer); ok(); };
      client.failed = (err) => { clearTimeout(timer); fail(err); };
      socket.write(encodeFrame('CONNECT', headers));
    });
    client.failed = undefined;
    return client;
  }

  /** Writes bytes; false means the socket buffer is full (wait for 'drain'). */
  write(bytes: Buffer | string): boolean {
    return this.socket.write(bytes);
  }

  /** Sends a frame with a receipt and resolves when the RECEIPT arrives. */
  async request(command: string, headers: HeaderList, timeoutMs = 15000): Promise<void> {
    const id = `r${++this.receiptCounter}`;
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => {
        this.receipts.delete(id);
        fail(new Error(`no RECEIPT for ${command} within ${timeoutMs} ms${this.error ? ` (server said: ${this.error})` : ''}`));
      }, timeoutMs);
      this.receipts.set(id, () => { clearTimeout(timer); ok(); });
      this.failed = (err) => { clearTimeout(timer); fail(err); };
      this.socket.write(encodeFrame(command, [...headers, ['receipt', id]]));
    });
    this.failed = undefined;
  }

  /** SUBSCRIBE, confirmed by a receipt so that the subscription is in place before producers start. */
  subscribe(destination: string, id: string, ack: 'auto' | 'client-individual' = 'auto'): Promise<void> {
    return this.request('SUBSCRIBE', [['destination', destination], ['id', id], ['ack', ack]]);
  }

  /** Ends the connection: DISCONNECT and close, without waiting for a receipt. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (!this.socket.destroyed) {
      this.socket.end(encodeFrame('DISCONNECT'));
      this.socket.setTimeout(2000, () => this.socket.destroy());
    }
  }

  /** Closes at once, without DISCONNECT. */
  destroy(): void {
    this.closing = true;
    this.socket.destroy();
  }

  private onFrame(frame: FrameView): void {
    if (isCommand(frame, COMMANDS.MESSAGE)) {
      this.onMessage(frame);
    } else if (isCommand(frame, COMMANDS.RECEIPT)) {
      const id = headerOf(frame, 'receipt-id');
      const waiter = id === undefined ? undefined : this.receipts.get(id);
      if (waiter) {
        this.receipts.delete(id!);
        waiter();
      } else {
        this.unclaimedReceipts++;
      }
    } else if (isCommand(frame, COMMANDS.CONNECTED)) {
      this.connected?.();
      this.connected = undefined;
    } else if (isCommand(frame, COMMANDS.ERROR)) {
      const headers = headersOf(frame);
      const body = frame.buf.toString('utf8', frame.bodyStart, frame.bodyEnd).trim();
      this.fail(`ERROR frame: ${headers['message'] ?? ''}${body ? ` — ${body.slice(0, 500)}` : ''}`);
    }
  }

  private fail(reason: string): void {
    if (this.error === undefined) this.error = reason;
    if (this.closing) return;
    const failed = this.failed;
    this.failed = undefined;
    failed?.(new Error(reason));
    const onFailure = this.onFailure;
    this.onFailure = undefined;
    onFailure?.(reason);
  }
}
