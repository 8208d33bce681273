/**
 * The durable store contract. Queues keep persistent messages here so they survive a restart.
 * Every store passes @wharf/testkit's describeStore() suite.
 */
import type { Message } from './message.js';

export interface StoredMessage extends Message {
  /** How many times it was delivered without an acknowledgement before. */
  readonly deliveryCount: number;
}

export interface StoredDestination {
  readonly name: string;
  readonly type: string;
  /** Pubsub children, for pubsubs. */
  readonly children?: readonly string[];
}

export interface Store {
  readonly name: string;
  /** Opens or creates the store; the broker opens no listener before this resolves. */
  setup(): Promise<void>;
  /** Appends messages atomically: after a crash, all of them are there or none. */
  append(entries: ReadonlyArray<{ readonly destination: string; readonly message: Message }>): Promise<void>;
  /** Forgets acknowledged messages. */
  remove(entries: ReadonlyArray<{ readonly destination: string; readonly id: string }>): Promise<void>;
  /** Records that messages were handed out (so a restart marks them redelivered). */
  markDelivered(entries: ReadonlyArray<{ readonly destination: string; readonly id: string }>): Promise<void>;
  /** The messages of a destination, oldest first. */
  replay(destination: string): AsyncIterable<StoredMessage>;
  saveDestination(destination: StoredDestination): Promise<void>;
  deleteDestination(name: string): Promise<void>;
  destinations(): Promise<StoredDestination[]>;
  purge(destination: string): Promise<void>;
  close(): Promise<void>;
}
