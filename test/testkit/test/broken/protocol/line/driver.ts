/** The line protocol's client, shaped as describeProtocolAdapter()'s streaming driver. */
import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import type { ProtocolTestDriver, ProtocolTestMessage, SubscribeOptions, TestProtocolClient } from '../../../../src/index.js';

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

class LineTestClient implements TestProtocolClient {
  sessionId: string | undefined;
  readonly closed: Promise<void>;
  private error: string | undefined;
  private isClosed = false;
  private held = '';
  private readonly messages: Array<Record<string, unknown>> = [];
  private readonly waiters: Array<Waiter<Record<string, unknown> | undefined>> = [];
  private readonly receipts = new Map<string, Waiter<void>>();
  private receiptCounter = 0;
  private onConnected: Waiter<void> | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      const lines = (this.held + chunk.toString('utf8')).split('\n');
      this.held = lines.pop()!;
      for (const line of lines) if (line.length > 0) this.onLine(JSON.parse(line) as Record<string, unknown>);
    });
    socket.on('error', () => undefined);
    this.closed = once(socket, 'close').then(() => this.onClose());
  }

  static async connect(port: number, login?: string, passcode?: string): Promise<LineTestClient> {
    const client = new LineTestClient(connectTcp(port, '127.0.0.1'));
    await Promise.race([once(client.socket, 'connect'), client.closed]);
    const connected = new Promise<void>((resolve, reject) => { client.onConnected = { resolve, reject }; });
    client.write({ op: 'connect', login, passcode });
    await connected;
    return client;
  }

  subscribe(destination: string, options: SubscribeOptions): Promise<void> {
    return this.request({ op: 'subscribe', destination, id: options.id, ack: options.ack, prefetch: options.prefetch });
  }

  unsubscribe(id: string): Promise<void> {
    return this.request({ op: 'unsubscribe', id });
  }

  send(destination: string, body: Buffer, headers: Record<string, string> = {}, options: { receipt?: boolean } = {}): Promise<void> {
    const line = { op: 'send', destination, body: body.toString('base64'), headers };
    if (options.receipt === true) return this.request(line);
    this.write(line);
    return Promise.resolve();
  }

  async nextMessage(timeoutMs: number): Promise<ProtocolTestMessage | undefined> {
    const line = this.messages.shift() ?? await new Promise<Record<string, unknown> | undefined>((resolve, reject) => {
      if (this.isClosed) return reject(new Error(this.error ?? 'the connection is closed'));
      const waiter: Waiter<Record<string, unknown> | undefined> = {
        resolve: (value) => { clearTimeout(timer); resolve(value); },
        reject: (err) => { clearTimeout(timer); reject(err); },
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
    if (line === undefined) return undefined;
    const token = (): string => {
      if (typeof line.ack !== 'string') throw new Error('this message came from an auto-ack subscription');
      return line.ack;
    };
    return {
      destination: String(line.destination),
      messageId: String(line.id),
      body: Buffer.from(String(line.body), 'base64'),
      headers: line.headers as Record<string, string>,
      redelivered: line.redelivered === true,
      ack: () => this.request({ op: 'ack', id: token() }),
      nack: () => this.request({ op: 'nack', id: token() }),
    };
  }

  async expectError(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no error line and close within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (this.error === undefined) throw new Error('the connection closed without an error line');
    return this.error;
  }

  sendMalformed(): void {
    this.socket.write('{"op": "send", not json\n');
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  async close(): Promise<void> {
    this.socket.end();
    this.socket.resume();
    await this.closed;
  }

  private write(line: Record<string, unknown>): void {
    if (!this.socket.destroyed) this.socket.write(JSON.stringify(line) + '\n');
  }

  private request(line: Record<string, unknown>): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error(this.error ?? 'the connection is closed'));
    const receipt = `r${++this.receiptCounter}`;
    const done = new Promise<void>((resolve, reject) => this.receipts.set(receipt, { resolve, reject }));
    this.write({ ...line, receipt });
    return done;
  }

  private onLine(line: Record<string, unknown>): void {
    switch (line.op) {
      case 'connected':
        this.sessionId = String(line.session);
        this.onConnected?.resolve();
        return;
      case 'message': {
        const waiter = this.waiters.shift();
        if (waiter) waiter.resolve(line);
        else this.messages.push(line);
        return;
      }
      case 'receipt':
        this.receipts.get(String(line.receipt))?.resolve();
        this.receipts.delete(String(line.receipt));
        return;
      case 'error':
        this.error = String(line.message);
    }
  }

  private onClose(): void {
    this.isClosed = true;
    const err = new Error(this.error ?? 'the connection is closed');
    this.onConnected?.reject(err);
    for (const waiter of this.receipts.values()) waiter.reject(err);
    this.receipts.clear();
    for (const waiter of this.waiters.splice(0)) waiter.reject(err);
  }
}

export const lineDriver: ProtocolTestDriver = {
  connect: (port, credentials) => LineTestClient.connect(port, credentials.login, credentials.passcode),
};
