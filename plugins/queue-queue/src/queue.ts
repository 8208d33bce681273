/**
 * A queue: holds messages until someone can take them, then hands each to exactly one subscriber,
 * round-robin. Unacknowledged messages that come back (NACK, unsubscribe, disconnect) go to the
 * head and are redelivered, marked as such.
 *
 * Dispatch is O(1) amortized per message: subscriptions that can take a message right now sit in a
 * ring (a deque); dispatch takes the ring's head, hands it the queue's head, and puts it back at
 * the tail if it can take more. A subscription leaves the ring only by being served while full, so
 * a full subscriber costs nothing until it acks or resumes, when it rejoins at the tail.
 *
 * Durable messages (persistent, or every message when the settings say `durable`) are written to
 * the store through ctx.durable before they join the queue: they wait in `pending` until their
 * group commit, and so does every message published after one of them, so a later message never
 * overtakes an earlier one. The sender's promise resolves after the commit (its receipt goes out
 * then); when the store refuses, the message is dropped and the sender's promise rejects.
 * Deliveries to client-mode subscribers are recorded (a restart marks them redelivered); acks and
 * auto-mode deliveries remove the message from the store.
 *
 * Flow control: the queue reports the bytes it holds (held and pending, not delivered) to core's
 * memory accounting, and past `highWaterMarkBytes` tells core it is blocked: producers that send
 * here are paused (not read) until it is back under 80% of the mark. Nothing is refused for it.
 * That accounting is the base class's (queue-memory.ts).
 *
 * Paging (with a store: QueueContext.pager): past `pageOutBytes` in memory, held messages go to
 * a spill file and come back in order before delivery (paging.ts); held bytes reported to flow
 * control go down as pages go out. Counts, limits and the order are the queue's as a whole.
 */
import {
  ErrorCodes,
  WharfError,
  messageSize,
  type Consumer,
  type Destination,
  type DestinationStats,
  type DurableLog,
  type Message,
  type QueueContext,
  type StoredMessage,
} from '@wharf/core';
import { Deque } from '@wharf/core';
import { CommitLine, type CommitLineHost } from './commit-line.js';
import { prepareAgainstLimits, refusal } from './limits.js';
import { PagedBacklog, type PagingHost } from './paging.js';
import { QueueMemory } from './queue-memory.js';
import type { QueueSettings } from './settings.js';
import { QueueSubscription, type HeldMessage, type QueueHost } from './subscription.js';

function noop(): void {}

/** A ready subscriber and fewer messages than this in memory at the head: the next pages are read back. */
const PAGE_IN_BELOW = 64;

export class MessageQueue extends QueueMemory implements Destination, QueueHost, PagingHost, CommitLineHost {
  private readonly held = new Deque<HeldMessage>();
  /** Oldest first; drained from the head into `held` as commits land. */
  private readonly pending = new CommitLine(this);
  /** The paged part of the queue, after `held` (with a pager and pageOutBytes > 0). */
  private readonly backlog: PagedBacklog | undefined;
  private toldPagingFailed = false;
  private readonly log: DurableLog | undefined;
  /** Attached subscriptions, in attach order. */
  private subscriptions: QueueSubscription[] = [];
  /** Subscriptions that may take a message now, next first (entries may be stale: checked on use). */
  private readonly ring = new Deque<QueueSubscription>();
  private dispatching = false;
  private closed = false;
  private enqueued = 0;
  private delivered = 0;
  private dropped = 0;

  constructor(
    readonly name: string,
    readonly type: string,
    private readonly settings: QueueSettings,
    private readonly ctx: QueueContext,
  ) {
    super(settings, ctx.flow);
    this.log = ctx.durable;
    const pageOutBytes = settings.pageOutBytes ?? ctx.pager?.pageOutBytes ?? 0;
    if (ctx.pager !== undefined && pageOutBytes > 0) this.backlog = new PagedBacklog(this, ctx.pager, pageOutBytes);
  }

  publish(message: Message): void | Promise<void> {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'send again: the name is routed anew' });
    const size = messageSize(message);
    if (this.settings.maxLength !== undefined || this.settings.maxBytes !== undefined) this.makeRoom(size);
    const durable = this.log !== undefined && (message.persistent || this.settings.durable);
    const held: HeldMessage = { message, deliveryCount: 0, size, durable };
    this.grew(size);
    if (!durable) {
      this.enqueued++;
      if (this.pending.length === 0) this.append(held);
      else {
        // Behind a message still being stored: it waits its turn, so the order holds.
        this.pending.behind(held);
      }
      return;
    }
    const commit = this.log!.append(message);
    this.pending.stored(held, commit);
    // The sender waits for the same promise: it resolves once the batch committed, or rejects with
    // WHARF_ERR_STORE, and then the message was not accepted (settled() dropped it).
    return commit;
  }

  /**
   * A transaction's messages, checked before its commit applies anything (Destination.prepare): a
   * closed queue, a message over maxBytes, or one that finds the queue full with `overflow: reject`
   * (counting the messages before it) is refused as publish would refuse it, with `details.index`.
   */
  prepare(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    if (this.closed) {
      throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'send again: the name is routed anew', details: { index: 0 } });
    }
    if (this.settings.maxLength === undefined && this.settings.maxBytes === undefined) return;
    // A message a ready consumer takes at once never fills the queue (only when nothing waits
    // ahead of it, and not a durable one, which waits for its store write first). Each ready
    // subscription is sure to take one: its deliver() may answer false to that one (a full
    // socket), and then the rest of the transaction must fit in the queue, or the commit would
    // be refused half way through.
    let takers = 0;
    if (this.depth === 0) {
      for (const s of this.subscriptions) if (s.ready) takers++;
    }
    prepareAgainstLimits(this.name, this.settings, this.depth, this.heldBytes, messages,
      (message) => takers > 0 && !(this.log !== undefined && (message.persistent || this.settings.durable)) && takers-- > 0);
  }

  /** A message the store kept across a restart: back at the tail, as it was (delivery count included). */
  restore(stored: StoredMessage): void {
    if (this.closed) return;
    const size = messageSize(stored.message);
    this.grew(size);
    this.append({ message: stored.message, deliveryCount: stored.deliveryCount, size, durable: this.log !== undefined });
  }

  attach(consumer: Consumer): QueueSubscription {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'subscribe again: the name is routed anew' });
    const subscription = new QueueSubscription(this, consumer);
    this.subscriptions.push(subscription);
    this.ready(subscription);
    return subscription;
  }

  purge(): number {
    const paged = this.backlog?.clear();
    const count = this.held.length + (paged?.count ?? 0);
    const log = this.log;
    if (log !== undefined && count > 0) {
      // One store operation when the held messages are all the store has of this queue.
      let unacked = 0;
      for (const s of this.subscriptions) unacked += s.unackedCount;
      if (this.pending.length === 0 && unacked === 0) void log.purge();
      else {
        for (const m of this.held) if (m.durable) void log.remove(m.message.id);
        for (const id of paged?.durableIds ?? []) void log.remove(id);
      }
    }
    let bytes = 0;
    for (const m of this.held) bytes += m.size;
    const heldCount = this.held.length;
    this.held.clear();
    this.shrank(bytes, heldCount);
    if (paged !== undefined) this.removedPaged(paged);
    this.maybeAutoDelete();
    return count;
  }

  stats(): DestinationStats {
    let unacked = 0;
    for (const s of this.subscriptions) unacked += s.unackedCount;
    return {
      subscribers: this.subscriptions.length,
      depth: this.depth,
      unacked,
      enqueued: this.enqueued,
      delivered: this.delivered,
      dropped: this.dropped,
    };
  }

  close(reason: WharfError): void {
    if (this.closed) return;
    this.closed = true;
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    this.ring.clear();
    this.held.clear();
    this.pending.clear();
    this.backlog?.close();
    this.releasedAll();
    for (const s of subscriptions) s.end();
    for (const s of subscriptions) s.consumer.cancel(reason);
  }

  // ------------------------------------------------------------ QueueHost (called by subscriptions)

  ready(subscription: QueueSubscription): void {
    if (!subscription.inRing && subscription.ready) {
      subscription.inRing = true;
      this.ring.push(subscription);
    }
    this.dispatch();
  }

  acknowledged(subscription: QueueSubscription, messages: HeldMessage | readonly HeldMessage[]): void | Promise<void> {
    const done = this.log === undefined ? undefined : this.forget(this.log, messages);
    this.ready(subscription);
    return done;
  }

  requeue(subscription: QueueSubscription, messages: HeldMessage[]): void {
    this.returnToHead(messages);
    // Offer the returned message to another subscriber first: if the one that refused it is next
    // in the ring, move it to the back (it takes the message again only when nobody else can).
    this.skipNext(subscription);
    this.ready(subscription);
  }

  detached(subscription: QueueSubscription, returned: HeldMessage[]): void {
    const index = this.subscriptions.indexOf(subscription);
    if (index >= 0) this.subscriptions.splice(index, 1);
    this.returnToHead(returned);
    this.dispatch();
    this.maybeAutoDelete();
  }

  // ------------------------------------------------------------ internals

  /**
   * Hands held messages to ready subscriptions until one side runs out. A consumer may ack, nack,
   * resume or detach from inside deliver(): those calls land here while the loop runs and return at
   * once; the loop re-reads the state after every delivery, so it picks their effects up.
   */
  private dispatch(): void {
    if (this.dispatching || this.closed) return;
    this.dispatching = true;
    try {
      const held = this.held;
      const ring = this.ring;
      while (held.length > 0) {
        const subscription = ring.shift();
        if (subscription === undefined) break;
        subscription.inRing = false;
        if (!subscription.ready) continue;
        const next = held.shift()!;
        this.shrank(next.size, 1);
        this.delivered++;
        if (next.durable) {
          // Client modes: recorded, so a restart marks it redelivered. Auto mode: done once handed over.
          if (subscription.tracked) this.log!.delivered(next.message.id);
          else void this.log!.remove(next.message.id);
        }
        subscription.take(next);
        if (!subscription.inRing && subscription.ready) {
          subscription.inRing = true;
          ring.push(subscription);
        }
      }
    } finally {
      this.dispatching = false;
    }
    // The head ran low while a subscriber can take more: the next pages come back (one read).
    const backlog = this.backlog;
    if (backlog !== undefined && backlog.hasPaged && this.held.length < PAGE_IN_BELOW && this.ring.length > 0 && !this.closed) backlog.pageIn();
  }

  /** A new message at the tail of the queue (behind the paged ones, when there are). */
  private append(held: HeldMessage): void {
    const backlog = this.backlog;
    if (backlog !== undefined && backlog.active) {
      backlog.add(held);
      return;
    }
    this.held.push(held);
    // Nothing is paged yet (diskBytes is 0): everything held is in memory.
    if (backlog !== undefined && this.heldBytes > backlog.pageOutBytes) backlog.pageOutHead(this.held, this.heldBytes, backlog.runBytes);
    if (this.ring.length > 0) this.dispatch();
  }

  // ------------------------------------------------------------ PagingHost (called by the backlog; pagedOut: QueueMemory)

  pagedIn(messages: HeldMessage[], bytes: number): void {
    if (this.closed) return;
    for (const m of messages) this.held.push(m);
    this.pagedBackIn(bytes);
    if (this.ring.length > 0) this.dispatch();
  }

  failed(err: unknown): void {
    if (this.toldPagingFailed) return;
    this.toldPagingFailed = true;
    this.ctx.logger.error({ err }, 'paging to disk failed: this queue keeps its messages in memory (check store.pageDirectory)');
  }

  // ------------------------------------------------------------ CommitLineHost (called by `pending`)

  accepted(): void {
    this.enqueued++;
  }

  leave(held: HeldMessage, stored: boolean): void {
    if (stored) this.append(held);
    else this.shrank(held.size, 1); // the store refused it: never accepted
  }

  nothingMoved(): void {
    this.maybeAutoDelete();
  }

  /** Removes acknowledged durable messages from the store; the promise settles when that is committed. */
  private forget(log: DurableLog, messages: HeldMessage | readonly HeldMessage[]): Promise<void> | undefined {
    if ('message' in messages) return messages.durable ? log.remove(messages.message.id) : undefined;
    let last: Promise<void> | undefined;
    let all: Promise<void>[] | undefined;
    for (const m of messages) {
      if (!m.durable) continue;
      const done = log.remove(m.message.id);
      if (last === undefined) last = done;
      else if (done !== last) {
        (all ??= [last]).push(done);
        last = done;
      }
    }
    return all === undefined ? last : Promise.all(all).then(noop);
  }

  /** Puts messages back at the head, keeping their order. */
  private returnToHead(messages: HeldMessage[]): void {
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      this.held.unshift(m);
      this.grew(m.size);
    }
  }

  private skipNext(subscription: QueueSubscription): void {
    const ring = this.ring;
    while (ring.length > 0 && !ring.peek()!.ready) ring.shift()!.inRing = false;
    if (ring.length > 1 && ring.peek() === subscription) ring.push(ring.shift()!);
  }

  /** Applies maxLength / maxBytes before a message of `size` bytes is added. */
  private makeRoom(size: number): void {
    const refused = refusal(this.name, this.settings, this.depth, this.heldBytes, size);
    if (refused !== undefined) throw refused;
    // Only messages already in the queue are dropped, oldest first; those still being stored count but stay.
    while (this.isFull(size)) {
      const dropped = this.held.shift();
      if (dropped !== undefined) {
        this.shrank(dropped.size, 1);
        this.dropped++;
        if (dropped.durable) void this.log!.remove(dropped.message.id);
        continue;
      }
      const paged = this.backlog?.dropOldest();
      if (paged === undefined) break;
      this.removedPaged(paged);
      this.dropped++;
      for (const id of paged.durableIds) void this.log!.remove(id);
    }
  }

  /** Messages in the queue: the head, the paged part and those waiting for their store write. */
  private get depth(): number {
    return this.held.length + (this.backlog?.length ?? 0) + this.pending.length;
  }

  private isFull(size: number): boolean {
    const { maxLength, maxBytes } = this.settings;
    return (maxLength !== undefined && this.depth >= maxLength)
      || (maxBytes !== undefined && this.heldBytes + size > maxBytes);
  }

  private maybeAutoDelete(): void {
    if (this.settings.autoDelete && !this.closed && this.subscriptions.length === 0 && this.depth === 0) {
      this.ctx.release();
    }
  }
}
