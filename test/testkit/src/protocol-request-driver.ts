/**
 * What the author of a request/response protocol adapter (HTTP publish/poll and the like) gives
 * describeProtocolAdapter() with `profile: 'request-response'`: one call per request. There is no
 * connection to keep: each request carries its credentials, and the adapter opens one broker
 * session for it, does the one operation and closes the session (a long poll keeps its session
 * until it answers or its wait is over).
 */
import type { ProtocolTestCredentials } from './protocol-driver.js';

export interface PollOptions {
  /** Most messages the answer may carry (at least 1). */
  readonly max: number;
  /** How long the adapter may wait for a first message before answering empty (0: answer at once). */
  readonly waitMs: number;
  /**
   * Aborting it is the client going away in the middle of the request (the driver drops the
   * connection); the promise then rejects.
   */
  readonly signal?: AbortSignal;
}

export interface PolledMessage {
  /** The destination as the protocol reports it. */
  readonly destination: string;
  /** The broker's message id. */
  readonly messageId: string;
  readonly body: Buffer;
  /** The sender's headers as received. */
  readonly headers: Readonly<Record<string, string>>;
  readonly redelivered: boolean;
}

/**
 * How a driver rejects when the adapter refuses a request: an Error whose `message` is the broker's
 * error text, and whose `code` is the broker's error code when the protocol carries it (the suite
 * then checks it too).
 */
export interface ProtocolTestRefusal extends Error {
  readonly code?: string;
}

export interface RequestResponseTestDriver {
  /**
   * One request to 127.0.0.1:`port`: publishes a message. Resolves once the broker accepted it;
   * rejects with a ProtocolTestRefusal when the adapter answers with an error.
   */
  publish(port: number, credentials: ProtocolTestCredentials, destination: string, body: Buffer, headers?: Record<string, string>): Promise<void>;
  /**
   * One request: takes up to `max` messages of `destination`, waiting up to `waitMs` for the first.
   * Resolves with what the answer carried (none when the wait ran out), in order; those messages
   * are acknowledged by the answer. Rejects with a ProtocolTestRefusal for an error answer.
   */
  poll(port: number, credentials: ProtocolTestCredentials, destination: string, options: PollOptions): Promise<PolledMessage[]>;
  /**
   * One request the protocol's rules refuse (HTTP: an unknown path, a `max` that is not a number):
   * resolves with the refusal the adapter answered; rejects if it was accepted.
   */
  malformed(port: number, credentials: ProtocolTestCredentials): Promise<ProtocolTestRefusal>;
}
