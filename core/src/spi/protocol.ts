/**
 * Protocol-adapter contracts. An adapter turns a byte stream into calls on a ClientSession (the
 * MQM's reference methods, bound to one authenticated client) and deliveries back into bytes.
 * Transports (TCP, TLS, WebSocket) belong to core: an adapter only ever sees a Duplex stream.
 */
import type { Duplex } from 'node:stream';
import type { WharfError } from '../errors.js';
import type { DestinationInfo } from './admin.js';
import type { MessageInput } from './message.js';
import type { Consumer, SessionInfo, Subscription, DestinationStats } from './queue.js';
import type { ConnectionInfo, Credentials } from './security.js';
import type { JsonSchema } from './plugin.js';

export interface TlsSettings {
  /** Paths (relative to the config file) of PEM files. */
  readonly cert: string;
  readonly key: string;
  readonly ca?: string | undefined;
  /** Ask clients for a certificate (and verify it against `ca`). */
  readonly requestCert?: boolean | undefined;
}

export interface ListenerConfig {
  readonly protocol: string;
  /** `tcp` (default), `tls`, or `ws` (WebSocket; over TLS when `tls` is set). */
  readonly transport: 'tcp' | 'tls' | 'ws';
  readonly host: string;
  /** 0 picks a free port (tests). */
  readonly port: number;
  /** WebSocket path. */
  readonly path?: string | undefined;
  readonly tls?: TlsSettings | undefined;
  /** Adapter-specific settings, validated against the adapter's listenerOptionsSchema. */
  readonly options: Record<string, unknown>;
}

/** How the MQM acts on a client: closes it (the `disconnect` command), or slows it down (flow control). */
export interface SessionControl {
  /** Tell the client why (an error frame), then close the connection. */
  close(reason: WharfError): void;
  /**
   * Flow control: stop reading from the client (STOMP: `stream.pause()`), because the broker or a
   * destination it sends to holds too much. What was read is still handled: frames already
   * received are acted on, nothing accepted is dropped or refused. The client's further sends wait
   * in its socket and, once that is full, in the client itself. Adapters that leave this out are
   * never slowed down.
   */
  pauseReading?(): void;
  /** Flow control: read from the client again (STOMP: `stream.resume()`). */
  resumeReading?(): void;
}

/**
 * One authenticated client. Every method is an MQM reference method with this client as caller,
 * so every one of them checks its rights first.
 */
export interface ClientSession extends SessionInfo {
  readonly closed: boolean;
  /** Resolves (or returns) once the message is accepted: stored, when it is persistent. */
  send(destination: string, message: MessageInput, transaction?: string): void | Promise<void>;
  subscribe(destination: string, consumer: Consumer): Subscription;
  unsubscribe(subscription: Subscription): void;
  /** Resolves (or returns) once the acknowledgement is done: forgotten by the store, for a persistent message. */
  ack(subscription: Subscription, tag: number, transaction?: string): void | Promise<void>;
  nack(subscription: Subscription, tag: number, transaction?: string): void;
  begin(transaction: string): void;
  commit(transaction: string): void | Promise<void>;
  abort(transaction: string): void;
  create(destination: string): DestinationInfo;
  destroy(destination: string): boolean;
  list(): DestinationInfo[];
  stats(destination: string): DestinationStats;
  /** The client is gone or said goodbye: abort its transactions, detach its subscriptions. */
  close(reason?: string): void;
}

/**
 * The broker-wide budget for input bytes held in unfinished frames, shared by every connection of every listener
 * and protocol (config `limits.inputBufferBytes`; docs/security.md "Input limits"). Each connection opens an
 * {@link InputAccount} and says, per chunk or per buffer growth (never per byte), how many bytes its unfinished
 * frame holds.
 */
export interface InputBudget {
  /** The budget, in bytes. */
  readonly limit: number;
  /** Bytes held now, across all connections. */
  readonly used: number;
  /** Connections that wait for room now. */
  readonly waiting: number;
  /**
   * Opens one connection's account. `resume` is called when a connection told to stop reading may read again
   * (once per stop).
   */
  open(resume: () => void): InputAccount;
}

/** One connection's share of the {@link InputBudget}. */
export interface InputAccount {
  /**
   * The bytes the connection's unfinished frame holds now (0 at a frame boundary). False when the budget is spent:
   * stop reading until `resume` (or fail the connection, e.g. one not logged in). Bytes are counted either way.
   * The budget never lets every holder wait: when nobody else could free room, the connection that waited longest
   * reads on past the limit until its frame is complete, so the budget is passed by at most one frame.
   */
  hold(bytes: number): boolean;
  /** The connection is gone: it holds nothing and waits no more. */
  close(): void;
}

/** The MQM as a protocol adapter sees it. */
export interface BrokerApi {
  /** The broker's version, for server identification headers. */
  readonly version: string;
  /**
   * The broker-wide input budget (see {@link InputBudget}); optional so that brokers made by older cores, and test
   * doubles, still satisfy the type. An adapter given none bounds input per connection only.
   */
  readonly inputBudget?: InputBudget;
  /**
   * Authenticates a client and opens its session. Rejects with WharfError BAD_CREDENTIALS (the same
   * text whether or not the user exists).
   */
  connect(credentials: Credentials, connection: ConnectionInfo, control: SessionControl): Promise<ClientSession>;
}

export interface ProtocolAdapter {
  /** The name listeners use (`protocol: stomp`). */
  readonly protocol: string;
  /** JSON Schema of the adapter's per-listener `options`. */
  readonly listenerOptionsSchema?: JsonSchema;
  /**
   * WebSocket sub-protocols spoken, best first (offered to browsers on `transport: ws`). When set, an upgrade that
   * offers sub-protocols but none of these is refused with HTTP 400; one offering none is accepted.
   */
  readonly webSocketProtocols?: readonly string[];
  /**
   * The largest single input message, in bytes, the adapter accepts on `listener` (its largest frame): message-based
   * transports refuse bigger ones before buffering them (WebSocket: ws's `maxPayload`, close code 1009). Unset: the
   * transport's default (64 MiB).
   */
  maxInputMessageBytes?(listener: ListenerConfig): number;
  /** Serves one connection until the stream ends. */
  accept(stream: Duplex, connection: ConnectionInfo, broker: BrokerApi, listener: ListenerConfig): void;
  /** The broker is stopping: say goodbye to clients. Streams are destroyed after it resolves. */
  shutdown?(): Promise<void>;
}
