/**
 * Session-test helpers: a broker with the four first-party queue types, a StompAdapter, and a raw
 * STOMP client on the other end of an in-memory duplex pair that writes frames with the codec's
 * encoder and reads them with its parser (Aedes test/helper.js style: exact and fast, no sockets).
 */
import type { Duplex } from 'node:stream';
import { expect } from 'chai';
import type { Broker, ListenerConfig, PluginEntry } from '@wharf/core';
import { memoryDuplexPair, startTestBroker, testConnection } from '@wharf/testkit';
import queueCommand from '@wharf/queue-command';
import queuePubsub from '@wharf/queue-pubsub';
import queueQueue from '@wharf/queue-queue';
import queueTopic from '@wharf/queue-topic';
import stomp, { StompAdapter, type StompListenerOptions } from '../../src/index.js';
import { encodeFrame, FrameParser, type Frame, type StompVersion } from '../../src/codec/index.js';

export type Headers = ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

/** How long a test waits for a frame or a close before it fails. */
const WAIT_MS = 2000;

export interface StompTestBroker {
  readonly broker: Broker;
  readonly adapter: StompAdapter;
  /** Opens a connection on `listener` (a fresh one by default) and returns the client end. */
  open(options?: StompListenerOptions, listener?: ListenerConfig): StompTestClient;
  /** Opens a connection and sends CONNECT; resolves once CONNECTED is in. */
  connect(headers?: Headers, options?: StompListenerOptions): Promise<StompTestClient>;
  stop(): Promise<void>;
}

export function listenerConfig(options: StompListenerOptions = {}): ListenerConfig {
  return { protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0, options: { ...options } };
}

export async function startStompBroker(config: Record<string, unknown> = {}, extraPlugins: readonly PluginEntry[] = []): Promise<StompTestBroker> {
  const broker = await startTestBroker({ ...config, plugins: [queueTopic, queueQueue, queuePubsub, queueCommand, stomp, ...extraPlugins] });
  const adapter = new StompAdapter(broker.logger);
  const clients: StompTestClient[] = [];
  const open = (options: StompListenerOptions = {}, listener: ListenerConfig = listenerConfig(options)): StompTestClient => {
    const [server, client] = memoryDuplexPair();
    adapter.accept(server, testConnection({ protocol: 'stomp' }), broker.mqm, listener);
    const c = new StompTestClient(client);
    clients.push(c);
    return c;
  };
  return {
    broker,
    adapter,
    open,
    async connect(headers = { 'accept-version': '1.2', host: 'localhost' }, options = {}) {
      const client = open(options);
      await client.connect(headers);
      return client;
    },
    async stop() {
      for (const c of clients) c.destroy();
      await adapter.shutdown();
      await broker.stop();
    },
  };
}

/** A raw STOMP client: frames in and out, nothing hidden. */
export class StompTestClient {
  version: StompVersion = '1.0';
  /** Frames received and not yet taken by next(). */
  readonly received: Frame[] = [];
  /** When each heart-beat (a lone EOL) arrived, ms since the epoch. */
  readonly heartBeats: number[] = [];
  /** Every byte received, in order. */
  readonly raw: Buffer[] = [];
  /** The CONNECTED frame, once connect() resolved. */
  connected: Frame | undefined;
  private readonly parser: FrameParser;
  private waiter: (() => void) | undefined;
  private isClosed = false;
  private readonly closedPromise: Promise<void>;

  constructor(readonly stream: Duplex) {
    this.parser = new FrameParser({ maxBodyBytes: 64 * 1024 * 1024, maxHeaders: 1000, maxHeaderLineBytes: 1024 * 1024 }, (frame) => {
      // Keep the body: the parser hands out views of received chunks.
      this.received.push({ command: frame.command, headers: frame.headers, body: Buffer.from(frame.body) });
      if (frame.command === 'CONNECTED') this.parser.version = header(frame, 'version') as StompVersion ?? '1.0';
      this.wake();
    }, () => {
      this.heartBeats.push(Date.now());
    });
    stream.on('data', (chunk: Buffer) => {
      this.raw.push(chunk);
      this.parser.push(chunk);
    });
    stream.on('error', () => {});
    this.closedPromise = new Promise<void>((resolve) => {
      const done = (): void => {
        this.isClosed = true;
        this.wake();
        resolve();
      };
      stream.once('end', done);
      stream.once('close', done);
    });
  }

  /** What was received so far, as latin1 text (one character per byte). */
  get rawText(): string {
    return Buffer.concat(this.raw).toString('latin1');
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Sends CONNECT (STOMP 1.2 by default) and waits for CONNECTED. */
  async connect(headers: Headers = { 'accept-version': '1.2', host: 'localhost' }, command = 'CONNECT'): Promise<Frame> {
    this.send(command, headers);
    const frame = await this.next('CONNECTED');
    this.version = (header(frame, 'version') ?? '1.0') as StompVersion;
    this.connected = frame;
    return frame;
  }

  /** Writes one frame, its headers escaped for the negotiated version. */
  send(command: string, headers: Headers = {}, body?: string | Uint8Array, version: StompVersion = this.version): void {
    this.stream.write(encodeFrame(command, headers, typeof body === 'string' ? Buffer.from(body) : body, version));
  }

  /** Writes bytes exactly as given. */
  sendRaw(bytes: string | Uint8Array): void {
    this.stream.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The next frame (of `command`, or failing with what came instead). */
  async next(command?: string, timeoutMs = WAIT_MS): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.received.length === 0) {
      if (this.isClosed) throw new Error(`expected ${command ?? 'a frame'}, but the connection closed`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${command ?? 'a frame'} within ${timeoutMs} ms, but none came`);
      await this.wait(left);
    }
    const frame = this.received.shift()!;
    if (command !== undefined && frame.command !== command) {
      throw new Error(`expected ${command}, got ${show(frame)}`);
    }
    return frame;
  }

  /** The next `count` frames, all of `command`. */
  async take(count: number, command?: string): Promise<Frame[]> {
    const frames: Frame[] = [];
    for (let i = 0; i < count; i++) frames.push(await this.next(command));
    return frames;
  }

  /** Sends a frame with a `receipt` header and waits for its RECEIPT. */
  async sendWithReceipt(command: string, headers: Record<string, string>, body?: string | Uint8Array): Promise<Frame> {
    const receipt = `r-${++receiptCounter}`;
    this.send(command, { ...headers, receipt }, body);
    const frame = await this.next('RECEIPT');
    expect(header(frame, 'receipt-id')).to.equal(receipt);
    return frame;
  }

  /** Waits until nothing has arrived for `ms`; fails if a frame came. */
  async expectSilence(ms: number): Promise<void> {
    await delay(ms);
    if (this.received.length > 0) throw new Error(`expected no frame, got ${show(this.received[0]!)}`);
  }

  /** Resolves when the stream has ended or closed. */
  async waitClosed(timeoutMs = WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the connection did not close within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([this.closedPromise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * The spec's way to end a connection for a violation (STOMP 1.2 §ERROR): an ERROR frame with a
   * `message` header and a text/plain body, `receipt-id` when the bad frame asked for a receipt,
   * then the close. Returns the ERROR.
   */
  async expectError(expected: { message?: RegExp; receiptId?: string; timeoutMs?: number } = {}): Promise<Frame> {
    const frame = await this.next('ERROR', expected.timeoutMs);
    const message = header(frame, 'message');
    expect(message, 'ERROR message header').to.be.a('string').and.not.equal('');
    if (expected.message) expect(message).to.match(expected.message);
    expect(header(frame, 'receipt-id'), 'ERROR receipt-id').to.equal(expected.receiptId);
    expect(header(frame, 'content-type')).to.equal('text/plain');
    expect(frame.body.length, 'ERROR body').to.be.greaterThan(0);
    await this.waitClosed();
    expect(this.received.map(show), 'frames after the ERROR').to.deep.equal([]);
    return frame;
  }

  destroy(): void {
    this.stream.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve();
      }, ms);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = undefined;
        resolve();
      };
    });
  }

  private wake(): void {
    this.waiter?.();
  }
}

let receiptCounter = 0;

/** The first value of a header (STOMP 1.2 §Repeated Header Entries). */
export function header(frame: Frame, name: string): string | undefined {
  for (const [n, v] of frame.headers) if (n === name) return v;
  return undefined;
}

/** Every value of a header, in order. */
export function headerValues(frame: Frame, name: string): string[] {
  return frame.headers.filter(([n]) => n === name).map(([, v]) => v);
}

export function show(frame: Frame): string {
  const h = frame.headers.map(([n, v]) => `${n}:${v}`).join(', ');
  return `${frame.command} {${h}}${frame.body.length > 0 ? ` ${JSON.stringify(frame.body.toString('utf8').slice(0, 200))}` : ''}`;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it holds (or fails after `timeoutMs`). */
export async function eventually(check: () => boolean, timeoutMs = WAIT_MS, what = 'the condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await delay(5);
  }
}

/** Checks that another connection on the same broker still sends and receives. */
export async function expectBrokerWorks(env: StompTestBroker): Promise<void> {
  const client = await env.connect();
  const destination = `/queue/still-works-${++receiptCounter}`;
  await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination });
  client.send('SEND', { destination }, 'alive');
  const message = await client.next('MESSAGE');
  expect(message.body.toString()).to.equal('alive');
  client.send('DISCONNECT', {});
  await client.waitClosed();
}
