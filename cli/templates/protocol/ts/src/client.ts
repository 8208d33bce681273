/**
 * A client for the "__NAME__" protocol: what a user of the protocol writes, and what the tests drive
 * the adapter with (`driver`, the shape @wharf/testkit's describeProtocolAdapter asks for). Every
 * command that changes something asks for an OK, so `await client.subscribe(...)` means it is in place.
 */
import { connect as connectTcp, type Socket } from 'node:net';
import { once } from 'node:events';
import type { ProtocolTestDriver, ProtocolTestMessage, TestProtocolClient } from '@wharf/testkit';
import { NONE, bodyWord, headersWord, unbody, unheaders, unword, word, LineSplitter } from './wire.js';

interface Waiter<T> { resolve(value: T): void; reject(err: Error): void }

export class LineClient implements TestProtocolClient {
  readonly closed: Promise<void>;
  sessionId: string | undefined;
  /** The text of the ERR line the server sent, if any. */
  error: string | undefined;
  private readonly messages: ProtocolTestMessage[] = [];
  private readonly messageWaiters: Waiter<ProtocolTestMessage | undefined>[] = [];
  private readonly pending = new Map<string, Waiter<void>>();
  private receipts = 0;
  private connected: Waiter<void> | undefined;
  private isClosed = false;

  private constructor(private readonly socket: Socket) {
    const splitter = new LineSplitter(256 * 1024 * 1024, (line) => this.onLine(line.split(' ')));
    socket.on('data', (chunk: Buffer) => splitter.push(chunk));
    socket.on('error', () => undefined); // the close that follows is what callers see
    this.closed = once(socket, 'close').then(() => this.onClose());
  }

  /** Connects and logs in; rejects with the server's ERR text (after the close) when refused. */
  static async connect(port: number, credentials: { login?: string; passcode?: string } = {}): Promise<LineClient> {
    const client = new LineClient(connectTcp(port, '127.0.0.1'));
    const done = new Promise<void>((resolve, reject) => { client.connected = { resolve, reject }; });
    client.socket.write(`CONNECT ${word(credentials.login ?? '')} ${word(credentials.passcode ?? '')}\n`);
    await done;
    return client;
  }

  subscribe(destination: string, options: { id: string; ack?: string; prefetch?: number }): Promise<void> {
    return this.request('SUB', word(options.id), options.ack ?? 'auto', String(options.prefetch ?? 0), word(destination));
  }

  unsubscribe(id: string): Promise<void> {
    return this.request('UNSUB', word(id));
  }

  send(destination: string, body: Buffer, headers: Record<string, string> = {}, options: { receipt?: boolean } = {}): Promise<void> {
    const words = [word(destination), headersWord(headers), bodyWord(body)];
    if (options.receipt) return this.request('SEND', ...words);
    this.socket.write(`SEND ${NONE} ${words.join(' ')}\n`);
    return Promise.resolve();
  }

  /** The next message, or undefined when none arrives within `timeoutMs`; rejects once closed. */
  nextMessage(timeoutMs: number): Promise<ProtocolTestMessage | undefined> {
    const ready = this.messages.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.isClosed) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const waiter: Waiter<ProtocolTestMessage | undefined> = {
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

  /** Resolves with the server's ERR text once the connection closed; rejects otherwise. */
  async expectError(timeoutMs: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs); });
    try {
      await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
    if (this.error === undefined) throw new Error('the connection closed without an ERR line');
    return this.error;
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

  private request(command: string, ...words: string[]): Promise<void> {
    if (this.isClosed) return Promise.reject(this.closedError());
    const receipt = `r${++this.receipts}`;
    const done = new Promise<void>((resolve, reject) => this.pending.set(receipt, { resolve, reject }));
    this.socket.write(`${command} ${receipt} ${words.join(' ')}\n`);
    return done;
  }

  private onLine([command, ...args]: string[]): void {
    switch (command) {
      case 'CONNECTED':
        this.sessionId = unword(args[0]);
        this.connected?.resolve();
        return;
      case 'OK':
        this.pending.get(args[0]!)?.resolve();
        this.pending.delete(args[0]!);
        return;
      case 'ERR':
        this.error = unword(args[0]);
        return;
      case 'MSG': {
        const [, token = NONE, redelivered, id, destination, headers, body] = args;
        const message: ProtocolTestMessage = {
          destination: unword(destination), messageId: unword(id), body: unbody(body), headers: unheaders(headers), redelivered: redelivered === '1',
          ack: () => this.request('ACK', token),
          nack: () => this.request('NACK', token),
        };
        const waiter = this.messageWaiters.shift();
        if (waiter) waiter.resolve(message);
        else this.messages.push(message);
        return;
      }
    }
  }

  private onClose(): void {
    this.isClosed = true;
    const err = this.closedError();
    this.connected?.reject(err);
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
    for (const waiter of this.messageWaiters.splice(0)) waiter.reject(err);
  }

  private closedError(): Error {
    return new Error(this.error ?? 'the connection is closed');
  }
}

/** What describeProtocolAdapter() speaks this protocol through. */
export const driver: ProtocolTestDriver = {
  connect: (port, credentials) => LineClient.connect(port, credentials),
};
