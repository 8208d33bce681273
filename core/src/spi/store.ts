/**
 * The durable store contract. Queues keep persistent messages here so they survive a restart, and
 * the broker keeps the destinations that must come back (queues created by command, pubsub
 * children). Every store passes @wharf/testkit's describeStore() suite.
 *
 * A store is a log of operations applied in batches: core's durability service gathers everything
 * one turn of the event loop asks for (appends, acknowledgements, delivery marks, destination
 * changes) and hands it to `write()` as one batch, which the store applies in one transaction.
 * That is group commit: one transaction (one fsync) per batch, never one per message.
 */
import type { Message } from './message.js';

/** A message as a store keeps it for one destination. */
export interface StoredMessage {
  readonly message: Message;
  /** How many times it was handed to a consumer and not acknowledged before (0: never delivered). */
  readonly deliveryCount: number;
}

/** A destination the broker recreates at start. */
export interface StoredDestination {
  readonly name: string;
  /** The queue type it had (`queue`, `pubsub`, ...). */
  readonly type: string;
  /** The children of a pubsub, in order. */
  readonly children?: readonly string[];
}

/**
 * One operation of a batch. Operations are applied in the order given; ids are message ids, which
 * are unique within a destination (a pubsub's copies share one id across its children).
 */
export type StoreOp =
  /** Keeps a message at the tail of `destination`. An id already there changes nothing. */
  | { readonly op: 'append'; readonly destination: string; readonly message: Message }
  /** Adds one to a message's delivery count (it was handed out). An unknown id is ignored. */
  | { readonly op: 'delivered'; readonly destination: string; readonly id: string }
  /** Forgets an acknowledged (or dropped) message. An unknown id is ignored. */
  | { readonly op: 'remove'; readonly destination: string; readonly id: string }
  /** Forgets every message of `destination`; the destination record stays. */
  | { readonly op: 'purge'; readonly destination: string }
  /** Creates or replaces a destination record. */
  | { readonly op: 'save-destination'; readonly destination: StoredDestination }
  /** Forgets a destination record and every message of that destination (and its horizon). */
  | { readonly op: 'delete-destination'; readonly name: string }
  /**
   * Optional (only for stores with `recovery()`): keeps `horizon`, text core makes and reads, as
   * `destination`'s delivery horizon, replacing the one before; `null` forgets it. It needs no
   * destination record or messages.
   */
  | { readonly op: 'horizon'; readonly destination: string; readonly horizon: string | null }
  /**
   * Optional (only for stores with `recovery()`): keeps whether the broker stopped cleanly. Core
   * writes `false` at start, before any delivery, and `true` with its last batch at a clean stop.
   */
  | { readonly op: 'clean'; readonly clean: boolean };

/**
 * What a store with `recovery()` keeps for crash flags (docs/durability.md, "After a crash"):
 * whether the last broker on it stopped cleanly, and the delivery horizons core wrote.
 */
export interface StoredRecovery {
  /** The value of the last `clean` operation; true for a store never given one. */
  readonly clean: boolean;
  /** The destinations' horizons, as the last `horizon` operation for each left them. */
  readonly horizons: ReadonlyMap<string, string>;
}

export interface Store {
  /** The name `store.use` selects in the config (`sqlite`, `memory`). */
  readonly name: string;
  /**
   * Opens or creates the store (after a close too: that is a restart). The broker opens no
   * listener before this resolves. Rejects when the store cannot be used (say why in the message).
   */
  setup(): Promise<void>;
  /**
   * Applies a batch atomically and durably: once the promise resolves the whole batch survives a
   * crash of the process (and, as far as the disk's fsync is honest, of the machine); if it
   * rejects, or the process dies before it resolves, none of it was applied. Batches are never
   * written concurrently: core waits for one to settle before it hands over the next.
   */
  write(ops: readonly StoreOp[]): Promise<void>;
  /** Every destination record, in the order they were first saved. */
  destinations(): Promise<StoredDestination[]>;
  /** The messages of a destination, oldest append first, with their delivery counts. */
  replay(destination: string): AsyncIterable<StoredMessage>;
  /** Releases the store (files, locks). Written batches stay; setup() opens it again. */
  close(): Promise<void>;
  /**
   * Optional: what the `horizon` and `clean` operations left (after setup). A store with it must
   * apply those operations like any other (in order, atomically with their batch). A store
   * without it is never given them, and core then marks every restored message redelivered.
   */
  recovery?(): Promise<StoredRecovery>;
}
