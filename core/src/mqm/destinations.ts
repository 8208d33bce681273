/**
 * The destination table: every destination by name, made as routing says, and the one way a
 * message reaches a destination by name (`publishTo`). It knows nothing of sessions or rights.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Router } from '../routing/router.js';
import type { DestinationInfo } from '../spi/admin.js';
import type { BrokerEvent } from '../spi/admin.js';
import type { Message } from '../spi/message.js';
import { isParentDestination, type Destination, type QueueContext, type QueueType, type SessionInfo } from '../spi/queue.js';
import type { Durability } from './durability.js';

/**
 * The bytes one destination holds, as its QueueContext.flow.held reports them: one addition per
 * report. The memory alarm sums the counters once per sample and finds the largest holders.
 */
export class HeldCounter {
  bytes = 0;
  readonly add = (delta: number): void => {
    this.bytes += delta;
  };
}

export interface Entry {
  readonly name: string;
  readonly destination: Destination;
  readonly queueType: QueueType;
  /** What it holds (QueueContext.flow.held). */
  readonly holding: HeldCounter;
  /** The destination said it holds too much (QueueContext.flow.blocked): its producers wait. Kept by ProducerPausing. */
  blocked: boolean;
  /** The memory alarm is raised and this destination is among those holding most of it. Kept by ProducerPausing. */
  hot: boolean;
  /** blocked or hot: a session that sends here is paused (the one field publishTo reads). */
  throttled: boolean;
  /** Sessions paused because they sent to it while it was throttled (ProducerPausing's). */
  waiting: Set<unknown> | undefined;
}

/** What the table tells the service that pauses producers (ProducerPausing), without knowing it. */
export interface BlockedDestinations {
  /** A message was published into a destination that is throttled (blocked, or hot during the memory alarm). */
  publishedWhileBlocked(entry: Entry): void;
  /** A destination left the table (its waiting producers go on). */
  removed(entry: Entry): void;
}

/** Makes the QueueContext of a new destination (queue-context.ts). */
export type ContextFactory = (name: string, queueType: QueueType, holding: HeldCounter) => QueueContext;

export interface DestinationTableOptions {
  readonly router: Router;
  readonly queueTypes: ReadonlyMap<string, QueueType>;
  readonly logger: Logger;
  readonly maxNameLength: number;
  readonly durability: Durability | undefined;
  readonly emit: (event: BrokerEvent) => void;
}

export class DestinationTable {
  private readonly entries = new Map<string, Entry>();
  private readonly router: Router;
  private readonly queueTypes: ReadonlyMap<string, QueueType>;
  private readonly logger: Logger;
  private readonly durability: Durability | undefined;
  private readonly emit: (event: BrokerEvent) => void;
  private readonly maxNameLength: number;
  /** During a commit's validation: the messages each destination was asked to accept so far. */
  private accepted: Map<string, { list: Message[]; seen: Set<Message> }> | undefined;
  /** Recreating destinations from the store (or the config's pubsubs): nothing is written back. */
  private unrecordedDepth = 0;
  /** Messages sent to transient destinations nobody listened to, and what types count with countDropped. */
  dropped = 0;
  /** Set once by the MQM (the context needs the whole broker, which needs this table first). */
  contextFor: ContextFactory = () => {
    throw new Error('DestinationTable.contextFor was not wired');
  };
  blockedListener: BlockedDestinations | undefined;

  constructor(options: DestinationTableOptions) {
    this.router = options.router;
    this.queueTypes = options.queueTypes;
    this.logger = options.logger;
    this.durability = options.durability;
    this.emit = options.emit;
    this.maxNameLength = options.maxNameLength;
  }

  get(name: string): Entry | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  lookup(name: string): Destination | undefined {
    return this.entries.get(name)?.destination;
  }

  values(): IterableIterator<Entry> {
    return this.entries.values();
  }

  get size(): number {
    return this.entries.size;
  }

  /** The bytes every destination holds (their flow.held reports): read once per memory sample. */
  heldBytes(): number {
    let bytes = 0;
    for (const entry of this.entries.values()) bytes += entry.holding.bytes;
    return bytes;
  }

  /** The entry named `name`, or NOT_FOUND. */
  existing(name: string): Entry {
    const entry = this.entries.get(name);
    if (entry === undefined) {
      throw new WharfError(ErrorCodes.NOT_FOUND, `no destination named ${name}`, { hint: 'list destinations with /command/list' });
    }
    return entry;
  }

  /** The queue type routing gives `name`; NO_ROUTE when routing names a type no plugin provides (or rejects the name). */
  queueTypeFor(name: string): QueueType {
    const { type } = this.router.typeOf(name);
    const queueType = this.queueTypes.get(type);
    if (queueType === undefined) {
      throw new WharfError(ErrorCodes.NO_ROUTE, `routing sends ${name} to unknown queue type ${type}`, {
        hint: `load a plugin that provides it; known queue types: ${this.knownTypes()}`,
      });
    }
    return queueType;
  }

  /** The queue type of `name` as it is now: its entry's, else routing's. */
  typeOf(name: string): QueueType {
    return this.entries.get(name)?.queueType ?? this.queueTypeFor(name);
  }

  checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > this.maxNameLength) {
      throw new WharfError(ErrorCodes.BAD_DESTINATION, `destination names must have 1 to ${this.maxNameLength} characters`, {
        hint: 'use a shorter name, or raise limits.maxDestinationLength',
        details: { limit: 'maxDestinationLength' },
      });
    }
  }

  /** Creates `name`'s destination (of `explicitType`, else as routing says) and emits destination.created. */
  materialize(name: string, explicitType?: string): Entry {
    const decision = explicitType === undefined ? this.router.typeOf(name) : undefined;
    const typeName = explicitType ?? decision!.type;
    const queueType = this.queueTypes.get(typeName);
    if (queueType === undefined) {
      throw new WharfError(ErrorCodes.NO_ROUTE, `unknown queue type ${typeName} for ${name}`, {
        hint: `known queue types: ${this.knownTypes()}`,
      });
    }
    const holding = new HeldCounter();
    const destination = queueType.create(name, { ...(decision?.settings ?? {}) }, this.contextFor(name, queueType, holding));
    const entry: Entry = { name, destination, queueType, holding, blocked: false, hot: false, throttled: false, waiting: undefined };
    this.entries.set(name, entry);
    this.emit({ type: 'destination.created', destination: name, queueType: queueType.type });
    return entry;
  }

  /**
   * Publishes into `name`, creating it as routing says; a transient type's missing destination
   * (a STOMP topic nobody listens to) is not created: the message is dropped and counted.
   * The hot path: one map lookup, the destination's publish, one field read.
   */
  publishTo(name: string, message: Message, origin?: SessionInfo): void | Promise<void> {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      if (this.queueTypeFor(name).transient) {
        // Nobody attached, nobody to tell. Count it and keep nothing.
        this.dropped++;
        return;
      }
      entry = this.materialize(name);
    }
    const accepted = entry.destination.publish(message, origin);
    if (entry.throttled) this.blockedListener?.publishedWhileBlocked(entry);
    return accepted;
  }

  /**
   * Throws what publishTo(name, m) would throw for each of `messages` in turn (Destination.prepare),
   * changing nothing but creating a missing non-transient destination, as publishTo would.
   *
   * Within a commit's validation (preparing()), what each destination was already asked to accept
   * counts: a queue reached directly and through a pubsub is asked about all of its messages at
   * once. Messages are told apart by identity (a pubsub forwards the same Message to each child),
   * and a refusal's `details.index` is mapped back to a position in `messages`.
   */
  preparePublish(name: string, messages: readonly Message[], origin?: SessionInfo): void {
    let entry = this.entries.get(name);
    if (entry === undefined) {
      if (this.queueTypeFor(name).transient) return; // they would be dropped: nothing refuses them
      entry = this.materialize(name);
    }
    const destination = entry.destination;
    if (destination.prepare === undefined) return;
    const accepted = this.accepted;
    if (accepted === undefined) {
      destination.prepare(messages, origin);
      return;
    }
    let so = accepted.get(name);
    if (so === undefined) accepted.set(name, so = { list: [], seen: new Set() });
    const seen = so.seen;
    const fresh = messages.filter((m) => !seen.has(m));
    if (fresh.length === 0) return;
    const all = so.list.concat(fresh);
    try {
      destination.prepare(all, origin);
    } catch (err) {
      throw reindexed(err, so.list.length, fresh, messages);
    }
    so.list = all;
    for (const m of fresh) seen.add(m);
  }

  /** Runs a commit's validation: preparePublish counts what each destination was already asked (see there). */
  preparing<T>(validate: () => T): T {
    const outer = this.accepted;
    this.accepted = new Map();
    try {
      return validate();
    } finally {
      this.accepted = outer;
    }
  }

  /** Removes a destination: closed, forgotten by the store, destination.deleted emitted. */
  remove(entry: Entry, reason: WharfError): void {
    const name = entry.name;
    if (this.entries.get(name) !== entry) return;
    this.entries.delete(name);
    this.blockedListener?.removed(entry);
    this.durability?.deleteDestination(name);
    // Pubsubs that named this destination keep the name: a later copy recreates it per routing.
    const closed = entry.destination.close(reason);
    if (closed) closed.catch((err: unknown) => this.logger.error({ err, destination: name }, 'closing a destination failed'));
    this.emit({ type: 'destination.deleted', destination: name, queueType: entry.queueType.type });
  }

  /**
   * Keeps the record of a destination that must come back after a restart (created explicitly, or
   * a pubsub whose children changed). Transient types (topics) are never kept.
   */
  keep(entry: Entry): Entry {
    if (this.durability === undefined || this.unrecordedDepth > 0 || entry.queueType.transient) return entry;
    const destination = entry.destination;
    this.durability.saveDestination({
      name: destination.name,
      type: entry.queueType.type,
      ...(isParentDestination(destination) ? { children: [...destination.children()] } : {}),
    });
    return entry;
  }

  /** Runs `setUp` without recording what it creates in the store (restore, the config's pubsubs). */
  unrecorded<T>(setUp: () => T): T {
    this.unrecordedDepth++;
    try {
      return setUp();
    } finally {
      this.unrecordedDepth--;
    }
  }

  /** As unrecorded(), for asynchronous work (restore). */
  async unrecordedAsync<T>(setUp: () => Promise<T>): Promise<T> {
    this.unrecordedDepth++;
    try {
      return await setUp();
    } finally {
      this.unrecordedDepth--;
    }
  }

  info(entry: Entry): DestinationInfo {
    const stats = entry.destination.stats();
    const destination = entry.destination;
    return {
      name: destination.name, type: entry.queueType.type, subscribers: stats.subscribers, depth: stats.depth,
      ...(isParentDestination(destination) ? { children: [...destination.children()] } : {}),
    };
  }

  knownTypes(): string {
    return [...this.queueTypes.keys()].join(', ');
  }

  hasType(type: string): boolean {
    return this.queueTypes.has(type);
  }

  /** The broker stops: every destination is closed (not deleted from the store). */
  async closeAll(reason: WharfError): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [name, entry] of this.entries) {
      this.entries.delete(name);
      const done = entry.destination.close(reason);
      if (done) closing.push(done);
    }
    await Promise.all(closing);
  }
}

/**
 * A refusal of `prior + fresh` whose `details.index` points into `fresh` is given the index of that
 * message in `messages` (what the caller asked about); any other index is dropped (the caller then
 * finds the refused message itself).
 */
function reindexed(err: unknown, prior: number, fresh: readonly Message[], messages: readonly Message[]): unknown {
  if (!(err instanceof WharfError)) return err;
  const { index, ...details } = err.details;
  const message = typeof index === 'number' && index >= prior ? fresh[index - prior] : undefined;
  const at = message === undefined ? -1 : messages.indexOf(message);
  if (at === index) return err;
  return new WharfError(err.code, err.message, {
    cause: err.cause, ...(err.hint === undefined ? {} : { hint: err.hint }), details: at < 0 ? details : { ...details, index: at },
  });
}
