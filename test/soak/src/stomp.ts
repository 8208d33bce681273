/**
 * A well-behaved client: @stomp/stompjs over TCP (@stomp/tcp-wrapper), bound to a chosen loopback
 * address, never reconnecting by itself (the attacks decide when to open a new one). Every frame
 * that matters goes with a receipt, and each receipt resolves to what happened to it.
 */
import { createConnection, type Socket } from 'node:net';
import { Client, type IMessage, type IStompSocket, type StompHeaders } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';

/** What became of a frame sent with a receipt. */
export type Outcome = 'receipt' | 'error' | 'closed' | 'timeout';

export interface SessionOptions {
  readonly port: number;
  /** The client's own address (127.0.0.2 for the good pair, 127.0.0.3 for attackers). */
  readonly localAddress?: string;
  /** How long to wait for CONNECTED. */
  readonly connectTimeoutMs?: number;
}

/** A TCPWrapper whose socket leaves from `localAddress`. */
function boundWrapper(host: string, port: number, localAddress: string | undefined): IStompSocket {
  class Bound extends TCPWrapper {
    protected override getSocket(p: number, h: string): Socket {
      return createConnection({ port: p, host: h, ...(localAddress ? { localAddress } : {}) });
    }
  }
  return new Bound(host, port) as unknown as IStompSocket;
}

export class Session {
  /** ERROR frames' `message` headers. */
  readonly errors: string[] = [];
  closed = false;
  private readonly pending = new Map<string, (outcome: Outcome) => void>();
  private readonly closeWaiters: Array<() => void> = [];
  private counter = 0;

  private constructor(private readonly client: Client) {}

  /** Connects (heart-beats: the client sends one every 2 s, so no idle limit cuts it; wants none). */
  static open(options: SessionOptions): Promise<Session> {
    return new Promise((resolve, reject) => {
      let session: Session | undefined;
      let settled = false;
      const timer = setTimeout(() => fail(new Error(`no CONNECTED within ${options.connectTimeoutMs ?? 5000} ms`)), options.connectTimeoutMs ?? 5000);
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        session?.destroy();
        reject(err);
      };
      const client = new Client({
        webSocketFactory: () => boundWrapper('127.0.0.1', options.port, options.localAddress),
        reconnectDelay: 0,
        heartbeatIncoming: 0,
        heartbeatOutgoing: 2000,
        debug: () => undefined,
        onConnect: () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(session!);
        },
        onStompError: (frame) => {
          session!.errors.push(frame.headers['message'] ?? 'ERROR without a message');
          const receipt = frame.headers['receipt-id'];
          if (receipt !== undefined) session!.settle(receipt, 'error');
          fail(new Error(`ERROR before CONNECTED: ${frame.headers['message']}`));
        },
        onWebSocketClose: () => {
          session!.onClosed();
          fail(new Error('the connection closed before CONNECTED'));
        },
        onWebSocketError: () => undefined,
      });
      session = new Session(client);
      client.activate();
    });
  }

  /** SEND with a receipt. */
  send(destination: string, body: string, headers: StompHeaders = {}, timeoutMs = 10000): Promise<Outcome> {
    return this.withReceipt((receipt) => this.client.publish({ destination, body, headers: { ...headers, receipt } }), timeoutMs);
  }

  /** SUBSCRIBE with a receipt; `onMessage` gets every MESSAGE. */
  subscribe(destination: string, headers: StompHeaders, onMessage: (m: IMessage) => void, timeoutMs = 10000): Promise<Outcome> {
    return this.withReceipt((receipt) => this.client.subscribe(destination, onMessage, { ...headers, receipt }), timeoutMs);
  }

  /** ACK of one message (client-individual mode), with a receipt. */
  ack(message: IMessage, timeoutMs = 10000): Promise<Outcome> {
    return this.withReceipt((receipt) => message.ack({ receipt }), timeoutMs);
  }

  /** Resolves when the connection has closed. */
  whenClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((done) => this.closeWaiters.push(done));
  }

  /** Closes with DISCONNECT, or at once if the broker does not answer. */
  async close(): Promise<void> {
    if (this.closed) return;
    await Promise.race([this.client.deactivate(), new Promise((r) => setTimeout(r, 2000))]);
    this.destroy();
  }

  destroy(): void {
    void this.client.deactivate({ force: true });
    this.onClosed();
  }

  private withReceipt(write: (receipt: string) => void, timeoutMs: number): Promise<Outcome> {
    if (this.closed) return Promise.resolve('closed');
    const receipt = `soak-${++this.counter}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settle(receipt, 'timeout'), timeoutMs);
      this.pending.set(receipt, (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      });
      this.client.watchForReceipt(receipt, () => this.settle(receipt, 'receipt'));
      try {
        write(receipt);
      } catch {
        // stompjs throws when the socket is gone already.
        this.settle(receipt, 'closed');
      }
    });
  }

  private settle(receipt: string, outcome: Outcome): void {
    const done = this.pending.get(receipt);
    this.pending.delete(receipt);
    done?.(outcome);
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const receipt of [...this.pending.keys()]) this.settle(receipt, 'closed');
    for (const done of this.closeWaiters.splice(0)) done();
  }
}
