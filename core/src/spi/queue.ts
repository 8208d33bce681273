/**
 * Queue-type contracts. A queue type is a plugin that makes destinations; a destination decides who
 * gets each message. Core knows nothing of queue semantics beyond these interfaces.
 */
import type { Logger } from 'pino';
import type { WharfError } from '../errors.js';
import type { Delivery, Message } from './message.js';
import type { Principal, Right, ConnectionInfo } from './security.js';
import type { AdminApi, BrokerEvent } from './admin.js';
import type { JsonSchema } from './plugin.js';
import type { StoredMessage } from './store.js';

/** The STOMP names, used by every protocol: `auto` is done once written. */
export type AckMode = 'auto' | 'client' | 'client-individual';

/** The client session a consumer or a publish belongs to. */
export interface SessionInfo {
  readonly id: string;
  readonly principal: Principal;
  readonly connection: ConnectionInfo;
  /**
   * True once the session is closing. Its subscriptions are then detached one by one: a queue must
   * not hand messages returned by one of them to another subscription of the same closing session.
   */
  readonly closed: boolean;
}

/**
 * The receiving end of a subscription, implemented by a protocol adapter (one per client
 * subscription). Destinations call `deliver` and respect its answer.
 */
export interface Consumer {
  /** The id the client gave its subscription; unique within its session. */
  readonly id: string;
  readonly session: SessionInfo;
  readonly ackMode: AckMode;
  /** The most unacknowledged deliveries this consumer takes at once; 0 = no limit. */
  readonly prefetch: number;
  /**
   * Hands over one delivery. The delivery is always taken; `false` says the consumer's buffer is
   * full: send nothing more until the adapter calls `Subscription.resume()`.
   */
  deliver(delivery: Delivery): boolean;
  /**
   * The destination ended the subscription on its own (deleted, or a slow-subscriber policy).
   * The adapter tells its client `reason` (STOMP: an ERROR frame, then a close).
   */
  cancel(reason: WharfError): void;
}

/** A consumer attached to a destination. */
export interface Subscription {
  readonly destination: string;
  readonly consumer: Consumer;
  /**
   * Acknowledges a delivery; in `client` mode every earlier delivery too (cumulative). Returns a
   * promise when the acknowledgement waits for the store (a persistent message is forgotten
   * durably before a receipt for the ACK may go out).
   */
  ack(tag: number): void | Promise<void>;
  /** Refuses a delivery: the message goes back to the head of its queue for redelivery. */
  nack(tag: number): void;
  /** The consumer can take deliveries again after `deliver()` returned false. */
  resume(): void;
  /** Ends the subscription; unacknowledged messages go back for redelivery. Idempotent. */
  detach(): void;
  /**
   * Transactions (optional; STOMP 1.2 §COMMIT: a transaction's operations are atomic). Throws what
   * `ack`/`nack` would throw were `settlements` applied in this order now, and changes nothing.
   * Core calls it at COMMIT for the settlements of one transaction on this subscription, before it
   * applies any operation of the transaction. The error's `details.index` should be the position
   * in `settlements` of the first refused one (core finds it by itself when it is missing).
   * A subscription without it is checked only as far as core can (it still exists).
   */
  prepare?(settlements: readonly Settlement[]): void;
}

/** An ACK or NACK waiting in a transaction (Subscription.prepare). */
export interface Settlement {
  readonly kind: 'ack' | 'nack';
  readonly tag: number;
}

export interface DestinationStats {
  readonly subscribers: number;
  /** Messages held, waiting for a consumer. */
  readonly depth: number;
  /** Messages delivered and not yet acknowledged. */
  readonly unacked: number;
  /** Messages accepted since the destination was created. */
  readonly enqueued: number;
  /** Deliveries made (a topic counts one per subscriber). */
  readonly delivered: number;
  /** Messages thrown away (no subscriber, overflow, slow-subscriber policy). */
  readonly dropped: number;
}

export interface Destination {
  readonly name: string;
  readonly type: string;
  /**
   * Accepts a message. Returns when it is accepted (a promise when acceptance waits, e.g. for the
   * store or a command's work). Throws a WharfError to refuse it (overflow, a bad command).
   */
  publish(message: Message, origin?: SessionInfo): void | Promise<void>;
  /**
   * Transactions (optional; STOMP 1.2 §COMMIT: a transaction's operations are atomic). Throws what
   * `publish` would throw were `messages` published in this order now (closed, overflow, a bad
   * command, a child that would refuse its copy), and changes nothing. Core calls it at COMMIT with
   * every message the transaction sends here, before it applies any operation. The error's
   * `details.index` should be the position in `messages` of the first refused one (core finds it by
   * itself when it is missing). A type without it is taken to accept them (core still checks
   * rights and routing); its publish may then refuse one during the commit, after earlier
   * operations took effect. Refusals that depend on the store (a failed durable write) cannot be
   * foreseen; with group commit (the default) the appends of one commit share one store transaction.
   */
  prepare?(messages: readonly Message[], origin?: SessionInfo): void;
  /** Attaches a consumer. Throws WharfError NOT_SUBSCRIBABLE when the type refuses subscribers. */
  attach(consumer: Consumer): Subscription;
  /** Removes every held message; returns how many. */
  purge(): number;
  stats(): DestinationStats;
  /** The destination is being deleted or the broker stops: cancel consumers, free resources. */
  close(reason: WharfError): void | Promise<void>;
  /**
   * Takes back a message the durable store kept across a restart. Core calls it at start, before
   * any listener opens, oldest first, for each message of a destination it recreated from the store.
   * Types that keep nothing durable leave it out (their stored messages, if any, are left alone).
   */
  restore?(stored: StoredMessage): void;
}

/** A destination that copies messages into children (a pubsub), managed through the MQM. */
export interface ParentDestination extends Destination {
  children(): readonly string[];
  addChild(name: string): void;
  removeChild(name: string): boolean;
}

export function isParentDestination(d: Destination): d is ParentDestination {
  return typeof (d as Partial<ParentDestination>).addChild === 'function'
    && typeof (d as Partial<ParentDestination>).children === 'function';
}

/**
 * A destination's share of the broker's durable store, batched by group commit: everything asked
 * for in one turn of the event loop is written in one transaction after that turn.
 */
export interface DurableLog {
  /**
   * Writes a message at the tail of this destination. Resolves once the transaction holding it has
   * committed (then a receipt may go out); rejects with WharfError STORE when the store failed, and
   * then the message is not stored: the destination must not deliver it either.
   */
  append(message: Message): Promise<void>;
  /**
   * Forgets an acknowledged (or dropped) message. Resolves once that is committed; after a store
   * failure it is retried with the next batches, so it resolves late rather than rejects.
   */
  remove(id: string): Promise<void>;
  /** Records that the message was handed out, so a restart marks it redelivered. Not awaited. */
  delivered(id: string): void;
  /** Forgets every stored message of this destination (only when none is delivered or in flight). */
  purge(): Promise<void>;
}

/**
 * Flow control, a destination's side (QueueContext.flow): what it holds, and whether producers
 * should wait. See docs/performance.md "Flow control".
 */
export interface FlowSignal {
  /**
   * The destination now holds `delta` more bytes of messages waiting for consumers (negative:
   * fewer). Called per message, so it costs one addition: it lets the broker-wide memory alarm
   * tell memory the backlog gave back from memory that is really in use.
   */
  held(delta: number): void;
  /**
   * True: the destination passed its own high-watermark; sessions that send to it are paused
   * (they stop being read) until it calls `blocked(false)`. Call it on changes only.
   */
  blocked(blocked: boolean): void;
}

/**
 * Paging to disk, a destination's side (QueueContext.pager; docs/flow-control.md): a spill file of
 * its own, where a destination whose backlog passed its share of memory writes held messages and
 * keeps only a small stub of each (id, size, place), reading them back in order before delivery.
 * The file is a cache, emptied at every start: persistent messages are restored from the store.
 */
export interface Pager {
  /** The default bytes a destination holds in memory before it pages out (a setting may override it). */
  readonly pageOutBytes: number;
  /**
   * Appends `messages` to the file in one write. Their places are known at once (`offsets`, and
   * `end` where the last one ends); `written` resolves when they are on disk, or rejects with
   * WharfError STORE (keep them in memory then).
   */
  write(messages: readonly Message[]): PageRun;
  /** Reads back, with one read, the messages written between two places (`offsets[i]` .. a later offset or `end`), in order. */
  read(from: number, to: number): Promise<Message[]>;
  /** Nothing is paged any more: the file is emptied, and places start at 0 again. */
  reset(): void;
  /** The destination closes: the file is removed. */
  close(): void;
}

/** Where Pager.write put its messages. */
export interface PageRun {
  readonly offsets: readonly number[];
  readonly end: number;
  readonly written: Promise<void>;
}

/** What core gives a destination when it creates it. */
export interface QueueContext {
  readonly name: string;
  readonly logger: Logger;
  /**
   * Publishes a message into another destination by name, creating it as routing says (a topic
   * nobody listens to is not created: the message is dropped). No security check: the right on
   * the origin was checked. Used by pubsub.
   */
  forward(name: string, message: Message): void | Promise<void>;
  /**
   * Throws what `forward(name, m)` would throw for each of `messages` in turn, changing nothing:
   * the destination's `prepare` (a missing non-transient one is created first, as forward would;
   * a missing transient one would drop them, which is no refusal). A pubsub's `prepare` uses it.
   */
  prepareForward(name: string, messages: readonly Message[]): void;
  /** An existing destination, or undefined. Only for types that declare the `lookup` capability. */
  readonly lookup?: (name: string) => Destination | undefined;
  /**
   * Removes this destination from the broker (a topic whose last subscriber left, an autoDelete
   * queue that emptied). Core closes it and emits `destination.deleted`.
   */
  release(): void;
  /** Broker-wide counters for things that have no destination to count them. */
  countDropped(count?: number): void;
  /**
   * The in-process admin interface (create, delete, list, ...), unchecked: only for types that
   * declare the `admin` capability (the command type).
   */
  readonly admin?: AdminApi;
  /**
   * Listens to broker events (the command type's `/command/events`). Returns an unsubscribe. Only
   * for types that declare the `events` capability.
   */
  readonly onEvent?: (listener: (event: BrokerEvent) => void) => () => void;
  /** Creates a broker message, with a fresh id, e.g. for replies and events. */
  createMessage(destination: string, headers: Record<string, string>, body: Uint8Array): Message;
  /**
   * The durable store, scoped to this destination; undefined when the broker runs without one
   * (persistent messages are then kept in memory like the others). A destination stores a message
   * when `message.persistent` is true or its own settings make every message durable.
   */
  readonly durable?: DurableLog;
  /** Flow control (always given by core; optional for contexts made elsewhere, e.g. in tests). */
  readonly flow?: FlowSignal;
  /**
   * Paging to disk, when the broker has a durable store (a type that holds backlogs may use it; one
   * that does not, or a context made elsewhere, simply holds everything in memory).
   */
  readonly pager?: Pager;
}

/** Overrides of the rights the MQM asks for on a queue type's destinations. */
export interface QueueTypeRights {
  /** Right needed to send (default `write`). */
  readonly publish?: Right;
  /** Right needed to subscribe (default `read`). */
  readonly attach?: Right;
  /** Right needed to create a destination of this type by first use (default `create`). */
  readonly create?: Right;
}

/**
 * What a queue type may reach beyond its own destinations (QueueType.capabilities). Core gives a
 * destination's QueueContext these members only when its type asks for them, so a faulty type
 * cannot delete or read other destinations:
 * - `admin`: `ctx.admin`, the unchecked AdminApi (create, delete, purge, children, sessions, ...);
 * - `lookup`: `ctx.lookup(name)`, other destinations by name;
 * - `events`: `ctx.onEvent(listener)`, every broker event.
 */
export type QueueCapability = 'admin' | 'lookup' | 'events';

export const QUEUE_CAPABILITIES: readonly QueueCapability[] = Object.freeze(['admin', 'lookup', 'events'] as const);

export interface QueueType {
  /** The name routing rules use (`topic`, `queue`, ...). */
  readonly type: string;
  /** What its destinations may reach beyond themselves (see QueueCapability); default none. */
  readonly capabilities?: readonly QueueCapability[];
  /**
   * A transient type's destinations exist only while someone is attached: a send to a missing one
   * is dropped (and counted) instead of creating it.
   */
  readonly transient?: boolean;
  /** JSON Schema of the per-destination settings (a routing rule's `options`). */
  readonly settingsSchema?: JsonSchema;
  readonly rights?: QueueTypeRights;
  create(name: string, settings: Record<string, unknown>, ctx: QueueContext): Destination;
}
