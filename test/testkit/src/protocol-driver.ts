/**
 * What the author of a streaming protocol adapter (a connection that stays open and gets messages
 * pushed: STOMP, JSONL) gives describeProtocolAdapter(): a small client for their own wire format.
 * Request/response protocols give a RequestResponseTestDriver instead (protocol-request-driver.ts). The suite cannot speak every protocol, so it speaks through this driver; everything
 * else (the broker, its TCP listener, the security plugin, the checks) the suite brings.
 */
import type { AckMode } from '@wharf/core';

export interface ProtocolTestCredentials {
  readonly login?: string;
  readonly passcode?: string;
}

export interface ProtocolTestDriver {
  /**
   * Opens a TCP connection to 127.0.0.1:`port` and logs in. Resolves once the broker accepted the
   * client. When the broker refuses, rejects with an Error whose message is the broker's error text,
   * and only after the broker closed the connection.
   */
  connect(port: number, credentials: ProtocolTestCredentials): Promise<TestProtocolClient>;
}

export interface SubscribeOptions {
  /** The client's id for the subscription (unique per connection). */
  readonly id: string;
  /** Default `auto`. */
  readonly ack?: AckMode;
  /** Most unacknowledged messages at once; absent = the adapter's default. */
  readonly prefetch?: number;
}

export interface ProtocolTestMessage {
  /** The destination as the protocol reports it. */
  readonly destination: string;
  /** The broker's message id. */
  readonly messageId: string;
  readonly body: Buffer;
  /** The sender's headers as received (protocol control headers may be among them). */
  readonly headers: Readonly<Record<string, string>>;
  readonly redelivered: boolean;
  /** Acknowledges this message; resolves once the broker has processed the ack. */
  ack(): Promise<void>;
  /** Refuses this message; resolves once the broker has processed the nack. */
  nack(): Promise<void>;
}

export interface TestProtocolClient {
  /** The broker session id, if the protocol tells the client (for listSessions checks). */
  readonly sessionId?: string;
  /** Resolves once the connection is closed, by either side. */
  readonly closed: Promise<void>;
  /** Resolves once the subscription is in place (a receipt, or the protocol's equivalent). */
  subscribe(destination: string, options: SubscribeOptions): Promise<void>;
  /** Resolves once the subscription has ended. */
  unsubscribe(id: string): Promise<void>;
  /** With `receipt: true`, resolves once the broker accepted the message; otherwise once written. */
  send(destination: string, body: Buffer, headers?: Record<string, string>, options?: { receipt?: boolean }): Promise<void>;
  /**
   * The next message from any subscription, in arrival order; undefined when none arrives within
   * `timeoutMs` (a timed-out wait must not swallow a later message). Rejects once the connection closed.
   */
  nextMessage(timeoutMs: number): Promise<ProtocolTestMessage | undefined>;
  /**
   * Resolves with the text of the error the broker sent, once the broker also closed the
   * connection; rejects if it closed without an error, or neither happened within `timeoutMs`.
   */
  expectError(timeoutMs: number): Promise<string>;
  /**
   * Writes bytes the protocol's rules refuse on this open connection (JSONL: a line that is not
   * JSON; STOMP: a frame with an unknown command), for the check that bad input gets an error and
   * a close. Without it the suite sends its own garbage on a fresh connection instead.
   */
  sendMalformed?(): void;
  /** Stops reading from the socket, so the broker's writes back up. */
  pause(): void;
  /** Reads again. */
  resume(): void;
  /** Says goodbye as the protocol does (or just closes the socket) and waits for the close. */
  close(): Promise<void>;
}
