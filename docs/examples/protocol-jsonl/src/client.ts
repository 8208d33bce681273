/**
 * A small JSONL client: what a user of the protocol would write, and what the tests and the
 * end-to-end interop test drive the adapter with. Each request that changes something asks for a
 * receipt, so `await client.subscribe(...)` means the subscription is in place. It imports nothing
 * from @wharf/core: the wire is all a client needs.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { once } from 'node:events';
import { LineReader } from './line-reader.js';

export interface JsonlConnectOptions {
  readonly host?: string;
  readonly login?: string;
  readonly passcode?: string;
}

export interface JsonlMessage {
  readonly destination: string;
  readonly subscription: string;
  /** The broker's message id. */
  readonly id: string;
  /** The token to ack or nack with; absent in auto mode. */
  readonly ack?: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly redelivered: boolean;
}

/** The server's error line. */
export class JsonlError extends Error {
  constructor(message: string, readonly code?: string, readonly hint?: string) {
    super(message);
  }
}

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

export class JsonlClient {
  /** Resolves once the connection is closed, by either side. */
  readonly closed: Promise<void>;
  /** The session id the broker gave in `connected`. */
  session = '';
  /** The error line the server sent, if any. */
  error: JsonlError | undefined;
  private readonly messages: JsonlMessage[] = [];
  private readonly messageWaiters: Array<Waiter<JsonlMessage | undefined>> = [];
  private readonly receipts = new Map<string, Waiter<void>>();
  private receiptCounter = 0;
  private onConnected: Waiter<void> | undefined;
  private isClosed = false;

  private constructor(private readonly socket: Socket) {
    const reader = new LineReader(256 * 1024 * 1024, (line) => this.onLine(JSON.parse(line.toString('utf8')) as Record<string, unknown>));
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        // Not this protocol: say so, and give up the connection rather than guess.
        this.error = new JsonlError(`unreadable line from the server: ${(err as Error).message}`);
        socket.destroy();
      }
    });
    socket.on('error', () => undefined); // the close that follows is what callers see
    this.closed = once(socket, 'close').then(() => this.onClose());
  }

  /** Connects and logs in. Rejects with the server's JsonlError (after the close) when refused. */
  static async connect(port: number, options: JsonlConnectOptions = {}): Promise<JsonlClient> {
    const socket = connectTcp(port, options.host ?? '127.0.0.1');
    const client = new JsonlClient(socket);
    await Promise.race([once(socket, 'connect'), client.closed]);
    if (client.isClosed) throw client.closedError();
    const connected = new Promise<void>((resolve, reject) => { client.onConnected = { resolve, reject }; });
    client.writeLine(JSON.stringify({ op: 'connect', login: options.login, passcode: options.passcode }));
    await connected;
    return client;
  }

  subscribe(destination: string, options: { id: string; ack?: 'auto' | 'client' | 'client-individual'; prefetch?: number }): Promise<void> {
    return this.request({ op: 'subscribe', destination, ...options });
  }

  unsubscribe(id: string): Promise<void> {
    return this.request({ op: 'unsubscribe', id });
  }

  /** Sends a message; with `receipt: false` it resolves at once (fire and forget). */
  send(destination: string, body: Uint8Array | string, headers: Record<string, string> = {},
    options: { receipt?: boolean; persistent?: boolean } = {}): Promise<void> {
    const line = { op: 'send', destination, headers, body: Buffer.from(body).toString('base64'), ...(options.persistent ? { persistent: true } : {}) };
    if (options.receipt === false) {
      this.writeLine(JSON.stringify(line));
      return Promise.resolve();
    }
    return this.request(line);
  }

  ack(token: string): Promise<void> {
    return this.request({ op: 'ack', id: token });
  }

  nack(token: string): Promise<void> {
    return this.request({ op: 'nack', id: token });
  }

  /** The next message, or undefined when none arrives within `timeoutMs`. Rejects once closed. */
  nextMessage(timeoutMs = 5000): Promise<JsonlMessage | undefined> {
    const ready = this.messages.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.isClosed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter<JsonlMessage | undefined> = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        this.messageWaiters.splice(this.messageWaiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.messageWaiters.push(waiter);
    });
  }

  /** Resolves with the server's error once the connection has closed; rejects otherwise. */
  async expectError(timeoutMs = 5000): Promise<JsonlError> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the connection did not close with an error within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (this.error === undefined) throw new Error('the connection closed without an error line');
    return this.error;
  }

  /** Stops reading: the broker's writes back up (for backpressure tests). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** Writes one raw line (tests of what the server refuses). */
  writeLine(text: string): void {
    if (!this.socket.destroyed) this.socket.write(text + '\n');
  }

  /** Closes the connection: the broker ends the session and requeues unacknowledged messages. */
  async close(): Promise<void> {
    this.socket.end();
    this.socket.resume(); // read (and drop) what is still coming, so the server's close is seen
    await this.closed;
  }

  private request(line: Record<string, unknown>): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    const receipt = `r${++this.receiptCounter}`;
    const done = new Promise<void>((resolve, reject) => this.receipts.set(receipt, { resolve, reject }));
    this.writeLine(JSON.stringify({ ...line, receipt }));
    return done;
  }

  private onLine(line: Record<string, unknown>): void {
    switch (line.op) {
      case 'connected':
        this.session = String(line.session);
        this.onConnected?.resolve();
        return;
      case 'message': {
        const message: JsonlMessage = { ...(line as unknown as JsonlMessage), body: Buffer.from(String(line.body), 'base64') };
        const waiter = this.messageWaiters.shift();
        if (waiter) waiter.resolve(message);
        else this.messages.push(message);
        return;
      }
      case 'receipt': {
        const waiter = this.receipts.get(String(line.receipt));
        this.receipts.delete(String(line.receipt));
        waiter?.resolve();
        return;
      }
      case 'error':
        this.error = new JsonlError(String(line.message), line.code as string | undefined, line.hint as string | undefined);
        return;
    }
  }

  private onClose(): void {
    this.isClosed = true;
    const err = this.closedError();
    this.onConnected?.reject(err);
    for (const waiter of this.receipts.values()) waiter.reject(err);
    this.receipts.clear();
    for (const waiter of this.messageWaiters.splice(0)) waiter.reject(err);
  }

  private closedError(): Error {
    return this.error ?? new Error('the connection is closed');
  }
}
