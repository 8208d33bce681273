/**
 * An in-process broker and clients, without sockets: fast and exact tests of queue types, security
 * and the MQM through the same reference methods protocol adapters use.
 */
import {
  Broker,
  ErrorCodes,
  WharfError,
  createLogger,
  type ClientSession,
  type ConnectionInfo,
  type Credentials,
  type MessageInput,
  type PluginEntry,
  type SessionControl,
} from '@wharf/core';
import { RecordingConsumer, type RecordingConsumerOptions } from './consumer.js';
import type { Subscription } from '@wharf/core';

export interface TestBrokerOptions {
  readonly configDir?: string;
  /** Log level; silent unless WHARF_TEST_LOG is set. */
  readonly logLevel?: string;
}

/** Creates and starts a broker from a config object (plugins may be definitions or paths). */
export async function startTestBroker(config: Record<string, unknown> & { plugins?: readonly PluginEntry[] }, options: TestBrokerOptions = {}): Promise<Broker> {
  const level = options.logLevel ?? process.env.WHARF_TEST_LOG ?? 'silent';
  const broker = await Broker.create({ ...config, log: { level } }, {
    logger: createLogger(level, process.stderr),
    ...(options.configDir ? { configDir: options.configDir } : {}),
  });
  await broker.start();
  return broker;
}

let connectionCounter = 0;

export function testConnection(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  return {
    id: `test-${++connectionCounter}`,
    protocol: 'test',
    transport: 'memory',
    remoteAddress: '127.0.0.1',
    remotePort: 40000 + (connectionCounter % 20000),
    secure: false,
    ...overrides,
  };
}

/** A connected client: its session, plus the reason the broker gave if it closed the client. */
export class TestClient {
  closedWith: WharfError | undefined;
  readonly consumers: RecordingConsumer[] = [];
  private opened: ClientSession | undefined;

  /** Flow control paused reading from this client (SessionControl.pauseReading) and did not resume it yet. */
  paused = false;
  /** How many times flow control paused this client. */
  pauses = 0;

  /** The control the session is opened with: it records the broker's close and flow control's pauses. */
  readonly control: SessionControl = {
    close: (reason) => { this.closedWith = reason; },
    pauseReading: () => { this.paused = true; this.pauses++; },
    resumeReading: () => { this.paused = false; },
  };

  get session(): ClientSession {
    if (this.opened === undefined) throw new Error('the client is not connected');
    return this.opened;
  }

  async connect(broker: Broker, credentials: Credentials, connection: ConnectionInfo): Promise<this> {
    this.opened = await broker.mqm.connect(credentials, connection, this.control);
    return this;
  }

  send(destination: string, body: string | Uint8Array, headers: Record<string, string> = {}, transaction?: string): void | Promise<void> {
    return this.session.send(destination, message(body, headers), transaction);
  }

  /** Subscribes a RecordingConsumer; returns both. */
  subscribe(destination: string, options: RecordingConsumerOptions = {}): { consumer: RecordingConsumer; subscription: Subscription } {
    const consumer = new RecordingConsumer(this.session, options);
    const subscription = this.session.subscribe(destination, consumer);
    this.consumers.push(consumer);
    return { consumer, subscription };
  }

  close(): void {
    this.session.close('test client closed');
  }
}

export function connectClient(broker: Broker, credentials: Credentials = {}, connection: Partial<ConnectionInfo> = {}): Promise<TestClient> {
  return new TestClient().connect(broker, credentials, testConnection(connection));
}

export function message(body: string | Uint8Array, headers: Record<string, string> = {}, persistent = false): MessageInput {
  return { headers, body: typeof body === 'string' ? Buffer.from(body) : body, persistent };
}

/** Runs `fn` and returns the WharfError it throws (or rejects with); fails if it does not. */
export async function expectWharfError(fn: () => unknown, code?: string): Promise<WharfError> {
  try {
    await fn();
  } catch (err) {
    if (!(err instanceof WharfError)) throw err;
    if (code !== undefined && err.code !== code) {
      throw new Error(`expected ${code} but got ${err.code}: ${err.message}`);
    }
    return err;
  }
  throw new Error(`expected a WharfError${code ? ` ${code}` : ''}, but nothing was thrown`);
}

/** Lets pending promise callbacks and immediates run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export { ErrorCodes };
