/**
 * The driver describeProtocolAdapter() speaks STOMP 1.2 through (the conformance profile,
 * src/conformance.ts, gives it to `wharf plugin check`; shipped in the package for that, and so
 * that an adapter built on this codec can reuse it): a minimal client over a net
 * socket, built on the adapter's own codec (encodeFrame out, FrameParser in). Requests that change
 * something ask for a RECEIPT (STOMP 1.2 §Header receipt), so each resolves once the broker did it.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { once } from 'node:events';
import type { ProtocolTestCredentials, ProtocolTestDriver, ProtocolTestMessage, SubscribeOptions, TestProtocolClient } from '@wharf/testkit';
import { FrameParser, encodeFrame, type Frame } from '../codec/index.js';

const LIMITS = { maxBodyBytes: 64 * 1024 * 1024, maxHeaders: 1000, maxHeaderLineBytes: 1024 * 1024 };

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/** The first value of each header name (STOMP 1.2 §Repeated Header Entries). */
function headersOf(frame: Frame): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of frame.headers) if (!(name in out)) out[name] = value;
  return out;
}

class StompTestClient implements TestProtocolClient {
  sessionId: string | undefined;
  readonly closed: Promise<void>;
  private error: string | undefined;
  private isClosed = false;
  private readonly frames: Frame[] = [];
  private readonly frameWaiters: Array<Waiter<Frame | undefined>> = [];
  private readonly receipts = new Map<string, Waiter<void>>();
  private receiptCounter = 0;
  private onConnected: Waiter<void> | undefined;

  private constructor(private readonly socket: Socket) {
    const parser = new FrameParser(LIMITS, (frame) => this.onFrame(frame));
    parser.version = '1.2'; // CONNECTED is never unescaped whatever it says; MESSAGE and ERROR are
    socket.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (err) {
        this.error = `unreadable frame from the server: ${(err as Error).message}`;
        socket.destroy();
      }
    });
    socket.on('error', () => undefined); // the close that follows is what the suite sees
    this.closed = once(socket, 'close').then(() => this.onClose());
  }

  static async connect(port: number, credentials: ProtocolTestCredentials): Promise<StompTestClient> {
    const client = new StompTestClient(connectTcp(port, '127.0.0.1'));
    await Promise.race([once(client.socket, 'connect'), client.closed]);
    if (client.isClosed) throw new Error(client.error ?? 'the connection closed before CONNECTED');
    const connected = new Promise<void>((resolve, reject) => { client.onConnected = { resolve, reject }; });
    const headers: Array<[string, string]> = [['accept-version', '1.2'], ['host', 'localhost'], ['heart-beat', '0,0']];
    if (credentials.login !== undefined) headers.push(['login', credentials.login]);
    if (credentials.passcode !== undefined) headers.push(['passcode', credentials.passcode]);
    client.write('CONNECT', headers);
    await connected;
    return client;
  }

  subscribe(destination: string, options: SubscribeOptions): Promise<void> {
    const headers: Array<[string, string]> = [['destination', destination], ['id', options.id], ['ack', options.ack ?? 'auto']];
    if (options.prefetch !== undefined) headers.push(['prefetch-count', String(options.prefetch)]);
    return this.request('SUBSCRIBE', headers);
  }

  unsubscribe(id: string): Promise<void> {
    return this.request('UNSUBSCRIBE', [['id', id]]);
  }

  send(destination: string, body: Buffer, headers: Record<string, string> = {}, options: { receipt?: boolean } = {}): Promise<void> {
    const all: Array<[string, string]> = [['destination', destination], ...Object.entries(headers)];
    if (options.receipt === true) return this.request('SEND', all, body);
    this.write('SEND', all, body);
    return Promise.resolve();
  }

  async nextMessage(timeoutMs: number): Promise<ProtocolTestMessage | undefined> {
    const frame = await this.nextFrame(timeoutMs);
    if (frame === undefined) return undefined;
    const headers = headersOf(frame);
    // STOMP 1.2 §ACK: the MESSAGE's `ack` header is the id an ACK or NACK names.
    const ackId = (): string => {
      if (headers.ack === undefined) throw new Error('this MESSAGE came from an ack:auto subscription');
      return headers.ack;
    };
    return {
      destination: headers.destination ?? '',
      messageId: headers['message-id'] ?? '',
      body: frame.body,
      headers,
      redelivered: headers.redelivered === 'true',
      ack: () => this.request('ACK', [['id', ackId()]]),
      nack: () => this.request('NACK', [['id', ackId()]]),
    };
  }

  async expectError(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no ERROR and close within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (this.error === undefined) throw new Error('the connection closed without an ERROR frame');
    return this.error;
  }

  /** STOMP 1.2 §Frames: an unknown command is an error; the server answers ERROR and closes. */
  sendMalformed(): void {
    this.write('NOT-A-COMMAND', []);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** STOMP 1.2 §DISCONNECT: ask for a receipt, so everything sent before was handled, then close. */
  async close(): Promise<void> {
    if (!this.isClosed) await this.request('DISCONNECT', []).catch(() => undefined);
    this.socket.end();
    await this.closed;
  }

  private write(command: string, headers: Array<[string, string]>, body?: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(command, headers, body, '1.2'));
  }

  private request(command: string, headers: Array<[string, string]>, body?: Buffer): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error(this.error ?? 'the connection is closed'));
    const receipt = `r${++this.receiptCounter}`;
    const done = new Promise<void>((resolve, reject) => this.receipts.set(receipt, { resolve, reject }));
    this.write(command, [...headers, ['receipt', receipt]], body);
    return done;
  }

  private nextFrame(timeoutMs: number): Promise<Frame | undefined> {
    const ready = this.frames.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.isClosed) return Promise.reject(new Error(this.error ?? 'the connection is closed'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter<Frame | undefined> = {
        resolve: (f) => { clearTimeout(timer); resolve(f); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        this.frameWaiters.splice(this.frameWaiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.frameWaiters.push(waiter);
    });
  }

  private onFrame(frame: Frame): void {
    const headers = headersOf(frame);
    switch (frame.command) {
      case 'CONNECTED':
        this.sessionId = headers.session;
        this.onConnected?.resolve();
        return;
      case 'MESSAGE': {
        const waiter = this.frameWaiters.shift();
        if (waiter) waiter.resolve(frame);
        else this.frames.push(frame);
        return;
      }
      case 'RECEIPT': {
        const id = headers['receipt-id'] ?? '';
        this.receipts.get(id)?.resolve();
        this.receipts.delete(id);
        return;
      }
      case 'ERROR':
        this.error = headers.message ?? frame.body.toString('utf8');
    }
  }

  private onClose(): void {
    this.isClosed = true;
    const err = new Error(this.error ?? 'the connection is closed');
    this.onConnected?.reject(err);
    for (const waiter of this.receipts.values()) waiter.reject(err);
    this.receipts.clear();
    for (const waiter of this.frameWaiters.splice(0)) waiter.reject(err);
  }
}

export const stompDriver: ProtocolTestDriver = {
  connect: (port, credentials) => StompTestClient.connect(port, credentials),
};
