/**
 * The conformance suite every queue type passes, first-party or not. It runs the type in a real
 * in-process broker, through the MQM's reference methods, exactly as protocol adapters use it, and
 * checks what the Destination contract promises (core/src/spi/queue.ts):
 *
 * - delivery: order, unique ids, increasing tags, held messages (or not), unsubscribe,
 *   backpressure, stats, deletion, purge, unknown acks (queue-checks/delivery.ts);
 * - sharing: one subscriber per message (queue-like) or every subscriber, and only those attached
 *   when it was sent (topic-like) (queue-checks/sharing.ts);
 * - acknowledgement: prefetch, cumulative `client` acks, single `client-individual` acks, and for
 *   types that redeliver: NACK, unsubscribe and disconnect give messages back, in order, marked
 *   redelivered with their delivery count (queue-checks/acks.ts);
 * - durability (`durable: true`): a message whose store write failed is refused and never
 *   delivered; persistent messages survive a restart in order, redelivered where they were
 *   delivered (queue-checks/durability.ts);
 * - flow control: held bytes reported through QueueContext.flow.held, and a high-water mark that
 *   pauses producers (queue-checks/flow.ts);
 * - transactions: COMMIT delivers every send in order and applies every ACK, ABORT applies nothing,
 *   an unknown or repeated ACK fails the COMMIT whole, and `Destination.prepare` /
 *   `Subscription.prepare` change nothing (queue-checks/transactions.ts); with `refusingSettings`,
 *   a COMMIT the destination refuses part of fails with its error and applies nothing
 *   (queue-checks/refusals.ts).
 *
 * A bug found in one type becomes a check here, and every type gets it.
 *
 *   describeQueueType('queue', {
 *     plugins: [queuePlugin], type: 'queue', destination: (i) => `/queue/conf-${i}`,
 *     holdsMessages: true, redelivers: true, durable: true,
 *     highWaterMark: { settings: { highWaterMarkBytes: 8192 }, bytes: 8192 },
 *     refusingSettings: { settings: { maxLength: 2, overflow: 'reject' }, accepts: 2 },
 *   });
 */
import { describe } from 'mocha';
import type { AdminApi, PluginEntry, Store } from '@wharf/core';
import { describeAckChecks } from './queue-checks/acks.js';
import { describeDeliveryChecks } from './queue-checks/delivery.js';
import { describeDurabilityChecks } from './queue-checks/durability.js';
import { describeFlowChecks } from './queue-checks/flow.js';
import { describeRefusalChecks } from './queue-checks/refusals.js';
import { describeSharingChecks } from './queue-checks/sharing.js';
import { describeTransactionChecks } from './queue-checks/transactions.js';

export interface QueueTypeSuiteOptions {
  /** The plugins to load, the one under test among them (definitions, package names or paths). */
  readonly plugins: readonly PluginEntry[];
  /** The queue type's name, as routing rules name it. */
  readonly type: string;
  /** A destination name for test number n; each test uses fresh names. */
  readonly destination: (n: number) => string;
  /** Queue-like: messages sent before anyone subscribed are kept for the first subscriber. */
  readonly holdsMessages: boolean;
  /**
   * Queue-like acknowledgement: an unacknowledged message goes back for redelivery on NACK and when
   * its subscriber leaves (unsubscribe, disconnect), in order, marked `redelivered` (topics and
   * replay-style types do not redeliver). Default false.
   */
  readonly redelivers?: boolean;
  /**
   * How a message is shared among several subscribers: `false`, each goes to exactly one of them
   * (a queue); `true`, every subscriber attached when it was sent gets it (a topic). Default: the
   * opposite of `redelivers`.
   */
  readonly fanOut?: boolean;
  /**
   * The type keeps persistent messages in the broker's store (QueueContext.durable) and takes them
   * back in restore(): run the durability checks (a failed store write, a restart). Needs
   * `holdsMessages`. Default false.
   */
  readonly durable?: boolean;
  /**
   * The store the durability checks run the broker with, made fresh for each check; default the
   * testkit's in-memory store. The suite wraps it so that its writes can be made to fail.
   */
  readonly store?: () => Store;
  /** The type's per-destination settings (a routing rule's `options`) for every check; default none. */
  readonly settings?: Record<string, unknown>;
  /**
   * The type holds producers back past a high-water mark: `settings` (merged over `settings`) set
   * it to `bytes` of held messages. The suite checks that a producer is paused (its
   * SessionControl.pauseReading is called) once the destination holds more than `bytes`, and
   * resumed once a consumer drained it. Leave it out for types without one.
   */
  readonly highWaterMark?: { readonly settings: Record<string, unknown>; readonly bytes: number };
  /**
   * The type can refuse a message (a length limit with a refusing overflow policy): `settings`
   * (merged over `settings`) make a destination that nobody consumes from accept `accepts`
   * messages and refuse the next one, e.g. queue-queue's
   * `{ settings: { maxLength: 2, overflow: 'reject' }, accepts: 2 }`. The suite then checks that a
   * COMMIT the destination refuses part of fails with the destination's own error and applies
   * nothing of the transaction (STOMP 1.2 §COMMIT), which needs `Destination.prepare`
   * (core/src/spi/queue.ts): it must count the messages held, reserve nothing, and refuse no
   * message a ready consumer would take at once. Needs `holdsMessages`, and the default `routing`
   * (the suite puts `settings` in its one rule). Leave it out for types that never refuse.
   */
  readonly refusingSettings?: { readonly settings: Record<string, unknown>; readonly accepts: number };
  /**
   * Default: `holdsMessages`. The type reports the bytes of the messages it holds through
   * QueueContext.flow.held (the broker's memory accounting counts on it), and gives them back
   * when they leave (consumed, purged).
   */
  readonly reportsHeldBytes?: boolean;
  /**
   * The broker's routing section. By default one rule sends every name to `type` with `settings`
   * (prefixes off, fallback reject), so only the plugins given need to be loaded. When given,
   * `settings` and `highWaterMark` are not applied (the rules must carry them).
   */
  readonly routing?: object;
  /** More broker config (pubsub children, limits, ...), merged over the defaults. */
  readonly config?: Record<string, unknown>;
  /**
   * Called with the broker's admin API for each fresh destination name before a check uses it:
   * e.g. to make the pubsub that feeds it (`admin.createDestination(feed, 'pubsub');
   * admin.addChild(feed, destination)`; a durable broker's store brings those back after a restart).
   */
  readonly prepare?: (admin: AdminApi, destination: string) => void;
  /**
   * Where the suite sends what is meant for `destination`; default `destination` itself. For a
   * type checked as it is fed through another destination (a pubsub's child), that destination.
   */
  readonly sendTo?: (destination: string) => string;
}

/** Registers a mocha `describe` block that checks a queue type against the Destination contract. */
export function describeQueueType(name: string, options: QueueTypeSuiteOptions): void {
  if (options.durable && !options.holdsMessages) {
    throw new Error(`describeQueueType(${name}): durable: true needs holdsMessages: true (the durability checks send before anyone subscribed, and restart the broker in between)`);
  }
  const refusing = options.refusingSettings;
  if (refusing !== undefined) {
    if (!options.holdsMessages) throw new Error(`describeQueueType(${name}): refusingSettings needs holdsMessages: true (its checks fill a destination nobody consumes from)`);
    if (options.routing !== undefined) throw new Error(`describeQueueType(${name}): refusingSettings cannot be applied with your own routing (the suite puts them in its one rule); leave routing out`);
    if (!Number.isInteger(refusing.accepts) || refusing.accepts < 1) {
      throw new Error(`describeQueueType(${name}): refusingSettings.accepts must be a whole number of at least 1 (how many messages the destination takes before it refuses), not ${JSON.stringify(refusing.accepts)}`);
    }
  }
  describe(`queue type conformance: ${name}`, () => {
    describeDeliveryChecks(options);
    describeSharingChecks(options);
    describeAckChecks(options);
    describeFlowChecks(options);
    describeTransactionChecks(options);
    if (refusing !== undefined) describeRefusalChecks(options, refusing);
    if (options.durable) describeDurabilityChecks(options);
  });
}
