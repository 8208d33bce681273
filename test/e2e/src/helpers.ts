/**
 * Helpers shared by the end-to-end tests: waiting for conditions (never for fixed times), opening
 * real third-party clients (@stomp/stompjs over TCP or WebSocket) and raw sockets, and closing
 * every one of them after each test.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client, type IFrame, type IMessage, type StompConfig, type StompHeaders, type IStompSocket } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import WebSocket from 'ws';

// ------------------------------------------------------------------ waiting

/** Resolves once `predicate()` is true; rejects naming `what` after `timeoutMs`. Polls, never sleeps blindly. */
export async function waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'a condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

// ------------------------------------------------------------------ closing what tests open

export interface Closable {
  close(): Promise<void> | void;
}

/** Every client a test opens, closed in afterEach. */
export class Tracker {
  private readonly open = new Set<Closable>();

  track<T extends Closable>(item: T): T {
    this.open.add(item);
    return item;
  }

  async closeAll(): Promise<void> {
    const items = [...this.open];
    this.open.clear();
    await Promise.all(items.map(async (item) => {
      try {
        await item.close();
      } catch {
        // already gone
      }
    }));
  }
}

// ------------------------------------------------------------------ @stomp/stompjs

/** A connected @stomp/stompjs client with what it saw: the CONNECTED frame, ERROR frames, the close. */
export class StompClient implements Closable {
  readonly errors: IFrame[] = [];
  readonly unhandled: IMessage[] = [];
  closed = false;
  connectedFrame!: IFrame;
  private receiptCounter = 0;

  constructor(readonly client: Client) {}

  get version(): string {
    return this.connectedFrame.headers['version']!;
  }

  /** Waits for a RECEIPT for the frame `send` transmits with the receipt header it is given. */
  async withReceipt(send: (receipt: string) => void, timeoutMs = 5000): Promise<IFrame> {
    const id = `r-${++this.receiptCounter}-${Math.random().toString(36).slice(2, 8)}`;
    let frame: IFrame | undefined;
    this.client.watchForReceipt(id, (f) => { frame = f; });
    send(id);
    await waitFor(() => frame !== undefined || this.closed, timeoutMs, `RECEIPT ${id}`);
    if (frame === undefined) throw new Error(`connection closed before RECEIPT ${id}${this.errorText()}`);
    return frame;
  }

  /** Sends a frame with a receipt and waits for it: everything sent before it was handled too. */
  async publishConfirmed(destination: string, body: string | Uint8Array = '', headers: StompHeaders = {}): Promise<void> {
    await this.withReceipt((receipt) => {
      if (typeof body === 'string') this.client.publish({ destination, body, headers: { ...headers, receipt } });
      else this.client.publish({ destination, binaryBody: body, headers: { ...headers, receipt } });
    });
  }

  /** Subscribes and waits until the broker has attached the subscription (a RECEIPT on SUBSCRIBE). */
  async subscribe(destination: string, headers: StompHeaders = {}, onMessage?: (m: IMessage) => void): Promise<Collected> {
    const collected = new Collected();
    let sub!: { id: string; unsubscribe(headers?: StompHeaders): void };
    await this.withReceipt((receipt) => {
      sub = this.client.subscribe(destination, (m) => {
        collected.messages.push(m);
        onMessage?.(m);
      }, { ...headers, receipt });
    });
    collected.id = sub.id;
    collected.unsubscribe = () => sub.unsubscribe();
    return collected;
  }

  /** Waits for an ERROR frame, or the close, and returns the ERROR. */
  async nextError(timeoutMs = 5000): Promise<IFrame> {
    await waitFor(() => this.errors.length > 0 || this.closed, timeoutMs, 'an ERROR frame');
    if (this.errors.length === 0) throw new Error('the connection closed without an ERROR frame');
    return this.errors[0]!;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.closed, timeoutMs, 'the connection to close');
  }

  errorText(): string {
    return this.errors.length > 0 ? ` (ERROR: ${this.errors[0]!.headers['message']})` : '';
  }

  async close(): Promise<void> {
    if (this.closed) {
      await this.client.deactivate({ force: true });
      return;
    }
    await Promise.race([
      this.client.deactivate(),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    if (!this.closed) await this.client.deactivate({ force: true });
  }
}

/** Messages received by one subscription, in order. */
export class Collected {
  readonly messages: IMessage[] = [];
  id = '';
  unsubscribe: () => void = () => undefined;

  get bodies(): string[] {
    return this.messages.map((m) => m.body);
  }

  async waitCount(n: number, timeoutMs = 5000): Promise<IMessage[]> {
    await waitFor(() => this.messages.length >= n, timeoutMs, `${n} messages (have ${this.messages.length})`);
    return this.messages;
  }
}

export type StompOptions = Partial<StompConfig>;

/**
 * Opens a @stomp/stompjs client over `factory` and resolves once CONNECTED arrived; rejects with
 * the ERROR's message if the broker refused it. Never reconnects; heart-beats off unless asked.
 */
export function openStomp(factory: () => IStompSocket, options: StompOptions = {}, tracker?: Tracker): Promise<StompClient> {
  return new Promise((resolve, reject) => {
    let handle: StompClient | undefined = undefined;
    let settled = false;
    const client = new Client({
      webSocketFactory: factory,
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      debug: () => undefined,
      ...options,
      onConnect: (frame) => {
        handle!.connectedFrame = frame;
        settled = true;
        resolve(handle!);
        options.onConnect?.(frame);
      },
      onStompError: (frame) => {
        handle!.errors.push(frame);
        options.onStompError?.(frame);
        if (!settled) {
          settled = true;
          reject(new Error(`ERROR before CONNECTED: ${frame.headers['message']}`));
        }
      },
      onWebSocketClose: (evt) => {
        handle!.closed = true;
        options.onWebSocketClose?.(evt);
        if (!settled) {
          settled = true;
          reject(new Error('connection closed before CONNECTED'));
        }
      },
      onUnhandledMessage: (m) => handle!.unhandled.push(m),
    });
    handle = new StompClient(client);
    tracker?.track(handle);
    client.activate();
  });
}

export function stompOverTcp(port: number, options: StompOptions = {}, tracker?: Tracker): Promise<StompClient> {
  return openStomp(() => new TCPWrapper('127.0.0.1', port) as unknown as IStompSocket, options, tracker);
}

export const WS_PROTOCOLS = ['v12.stomp', 'v11.stomp', 'v10.stomp'];

export function stompOverWs(url: string, options: StompOptions = {}, tracker?: Tracker, onSocket?: (ws: WebSocket) => void): Promise<StompClient> {
  return openStomp(() => {
    const ws = new WebSocket(url, WS_PROTOCOLS);
    onSocket?.(ws);
    return ws as unknown as IStompSocket;
  }, options, tracker);
}

// ------------------------------------------------------------------ raw STOMP frames

export interface RawFrame {
  readonly command: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** Encodes a frame the simple way (headers as given, unescaped), with content-length unless told not to. */
export function frame(command: string, headers: Record<string, string | number> = {}, body: string | Buffer = '', contentLength = true): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lines = [command, ...Object.entries(headers).map(([k, v]) => `${k}:${v}`)];
  if (contentLength && bytes.length > 0) lines.push(`content-length:${bytes.length}`);
  return Buffer.concat([Buffer.from(`${lines.join('\n')}\n\n`, 'utf8'), bytes, Buffer.from([0])]);
}

/**
 * A lenient reader of the frames a server sends: heart-beat EOLs skipped, content-length honoured,
 * headers first-wins and left escaped (tests compare plain values).
 */
export class FrameReader {
  readonly frames: RawFrame[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  /** Bytes that could not be read as frames (should stay empty). */
  garbage = false;

  push(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      let start = 0;
      while (start < this.buffer.length && (this.buffer[start] === 10 || this.buffer[start] === 13)) start++;
      if (start > 0) this.buffer = this.buffer.subarray(start);
      const headEnd = findHeadEnd(this.buffer);
      if (headEnd === undefined) return;
      const head = this.buffer.subarray(0, headEnd.at).toString('utf8').split(/\r?\n/);
      const command = head[0]!;
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) {
          this.garbage = true;
          continue;
        }
        const name = line.slice(0, colon);
        if (!(name in headers)) headers[name] = line.slice(colon + 1);
      }
      const bodyStart = headEnd.at + headEnd.length;
      let bodyEnd: number;
      const length = headers['content-length'];
      if (length !== undefined) {
        bodyEnd = bodyStart + Number(length);
        if (this.buffer.length < bodyEnd + 1) return;
      } else {
        bodyEnd = this.buffer.indexOf(0, bodyStart);
        if (bodyEnd === -1) return;
      }
      if (this.buffer[bodyEnd] !== 0) this.garbage = true;
      this.frames.push({ command, headers, body: Buffer.from(this.buffer.subarray(bodyStart, bodyEnd)) });
      this.buffer = this.buffer.subarray(bodyEnd + 1);
    }
  }

  byCommand(command: string): RawFrame[] {
    return this.frames.filter((f) => f.command === command);
  }
}

function findHeadEnd(buffer: Buffer): { at: number; length: number } | undefined {
  const lf = buffer.indexOf('\n\n');
  const crlf = buffer.indexOf('\r\n\r\n');
  if (lf === -1 && crlf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, length: 4 };
  return { at: lf, length: 2 };
}

/** A raw TCP (or TLS) connection that records the frames the broker sends and when it closes. */
export class RawConnection implements Closable {
  readonly reader = new FrameReader();
  received = 0;
  closed = false;
  ended = false;
  error: Error | undefined;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      this.reader.push(chunk);
    });
    socket.on('end', () => { this.ended = true; });
    socket.on('close', () => { this.closed = true; });
    socket.on('error', (err) => { this.error = err; });
  }

  static open(port: number, tracker?: Tracker): Promise<RawConnection> {
    return RawConnection.wrap(netConnect(port, '127.0.0.1'), 'connect', tracker);
  }

  static openTls(port: number, options: ConnectionOptions, tracker?: Tracker): Promise<RawConnection> {
    return RawConnection.wrap(tlsConnect({ host: '127.0.0.1', port, ...options }), 'secureConnect', tracker);
  }

  private static wrap(socket: Socket, event: string, tracker?: Tracker): Promise<RawConnection> {
    const conn = new RawConnection(socket);
    tracker?.track(conn);
    return new Promise((resolve, reject) => {
      socket.once(event, () => resolve(conn));
      socket.once('error', reject);
    });
  }

  get frames(): RawFrame[] {
    return this.reader.frames;
  }

  write(bytes: Buffer | string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(bytes);
  }

  async waitFrame(command: string, timeoutMs = 5000, count = 1): Promise<RawFrame> {
    await waitFor(() => this.reader.byCommand(command).length >= count || (this.closed && this.reader.byCommand(command).length < count),
      timeoutMs, `${count} ${command} frame(s)`);
    const found = this.reader.byCommand(command);
    if (found.length < count) throw new Error(`connection closed with ${found.length} ${command} frame(s); got ${this.frames.map((f) => f.command).join(',')}`);
    return found[count - 1]!;
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.closed, timeoutMs, 'the broker to close the connection');
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Text of a MESSAGE body as JSON. */
export function json(m: IMessage | RawFrame): Record<string, unknown> {
  const text = Buffer.isBuffer(m.body) ? m.body.toString('utf8') : m.body;
  return JSON.parse(text) as Record<string, unknown>;
}

/** A deterministic PRNG (mulberry32) for tests that must reproduce from a printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function unique(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 10)}`;
}
