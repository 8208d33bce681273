/**
 * A queue that redelivers: each message goes to one subscriber (round-robin); what is not
 * acknowledged comes back to the head of the queue — on NACK, on unsubscribe, on disconnect — and
 * is handed out again marked `redelivered`, with its delivery count. After `maxDeliveries`
 * deliveries a message is moved to the `deadLetter` destination (or dropped and counted).
 *
 * The contract it implements is in @wharf/core's `Destination`, `Consumer` and `Subscription`
 * (see docs/writing-a-queue-type.md in the Wharf repository).
 */
import {
  ErrorCodes,
  WharfError,
  messageSize,
  type Consumer,
  type Destination,
  type DestinationStats,
  type Message,
  type QueueContext,
  type Settlement,
  type StoredMessage,
  type Subscription,
} from '@wharf/core';

export interface QueueSettings {
  /** Deliveries before a message is given up on; 0: never. */
  readonly maxDeliveries: number;
  /** Where a message given up on goes; unset: it is dropped (and counted in stats.dropped). */
  readonly deadLetter?: string;
}

/** A message as the queue holds it. */
interface Held {
  readonly message: Message;
  deliveryCount: number;
  readonly size: number;
}

const noop = (): void => {};

export class RedeliveringQueue implements Destination {
  private readonly waiting: Held[] = [];
  private subscribers: QueueSubscription[] = [];
  /** Round-robin: the subscriber that gets the next message. */
  private next = 0;
  /** Messages whose durable write is in flight, and every message sent after one: order is kept. */
  private inFlight: Promise<unknown> = Promise.resolve();
  private writing = 0;
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
  ) {}

  publish(message: Message): void | Promise<void> {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'send again' });
    const durable = this.ctx.durable !== undefined && message.persistent;
    if (!durable && this.writing === 0) return this.accept(message);
    // A durable message joins the queue once the store committed it (never if the store refused
    // it); a message sent after it waits for it, so nothing overtakes.
    const written = durable ? this.ctx.durable!.append(message) : undefined;
    const before = this.inFlight;
    this.writing++;
    const accepted = Promise.allSettled([before, written]).then(([, write]) => {
      this.writing--;
      if (write.status === 'rejected') throw write.reason;
      this.accept(message);
    });
    this.inFlight = accepted.catch(noop);
    return accepted;
  }

  /** A message the store kept across a restart, oldest first: back in the queue as it was. */
  restore(stored: StoredMessage): void {
    this.hold({ message: stored.message, deliveryCount: stored.deliveryCount, size: messageSize(stored.message) }, 'tail');
  }

  attach(consumer: Consumer): Subscription {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'subscribe again' });
    const subscription = new QueueSubscription(this, consumer);
    this.subscribers.push(subscription);
    this.dispatch();
    return subscription;
  }

  purge(): number {
    const count = this.waiting.length;
    for (const held of this.waiting.splice(0)) this.forget(held, true);
    return count;
  }

  stats(): DestinationStats {
    const unacked = this.subscribers.reduce((n, s) => n + s.unackedCount, 0);
    return { subscribers: this.subscribers.length, depth: this.waiting.length, unacked, enqueued: this.enqueued, delivered: this.delivered, dropped: this.dropped };
  }

  close(reason: WharfError): void {
    if (this.closed) return;
    this.closed = true;
    for (const held of this.waiting.splice(0)) this.ctx.flow?.held(-held.size);
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const s of subscribers) s.end();
    for (const s of subscribers) s.consumer.cancel(reason);
  }

  // ---- what subscriptions tell the queue -------------------------------------------------------

  /** A subscription can take messages again (acked, resumed). */
  ready(): void {
    this.dispatch();
  }

  /** Messages a subscriber gave back (NACK, unsubscribe, disconnect) go to the head, oldest first. */
  giveBack(returned: readonly Held[]): void {
    for (let i = returned.length - 1; i >= 0; i--) {
      const held = returned[i]!;
      if (this.settings.maxDeliveries > 0 && held.deliveryCount >= this.settings.maxDeliveries) this.giveUp(held);
      else this.hold(held, 'head');
    }
    this.dispatch();
  }

  /** Acknowledged: the store forgets durable messages; the promise settles when that is committed. */
  acknowledged(done: readonly Held[]): void | Promise<void> {
    const removals = done.filter((h) => h.message.persistent && this.ctx.durable).map((h) => this.ctx.durable!.remove(h.message.id));
    this.dispatch();
    return removals.length === 0 ? undefined : Promise.all(removals).then(noop);
  }

  detached(subscription: QueueSubscription, returned: readonly Held[]): void {
    this.subscribers = this.subscribers.filter((s) => s !== subscription);
    this.giveBack(returned);
  }

  // ---- inside ----------------------------------------------------------------------------------

  private accept(message: Message): void {
    this.enqueued++;
    this.hold({ message, deliveryCount: 0, size: messageSize(message) }, 'tail');
    this.dispatch();
  }

  private hold(held: Held, where: 'head' | 'tail'): void {
    if (where === 'head') this.waiting.unshift(held);
    else this.waiting.push(held);
    this.ctx.flow?.held(held.size);
  }

  /** Hands waiting messages to subscribers that can take one, round-robin, until either runs out. */
  private dispatch(): void {
    if (this.dispatching || this.closed) return;
    this.dispatching = true;
    try {
      while (this.waiting.length > 0) {
        const subscriber = this.nextReady();
        if (subscriber === undefined) break;
        const held = this.waiting.shift()!;
        this.ctx.flow?.held(-held.size);
        this.delivered++;
        const durable = held.message.persistent && this.ctx.durable !== undefined;
        if (durable && subscriber.tracked) this.ctx.durable!.delivered(held.message.id);
        else if (durable) void this.ctx.durable!.remove(held.message.id);
        subscriber.take(held);
      }
    } finally {
      this.dispatching = false;
    }
  }

  private nextReady(): QueueSubscription | undefined {
    for (let i = 0; i < this.subscribers.length; i++) {
      const index = (this.next + i) % this.subscribers.length;
      const candidate = this.subscribers[index]!;
      if (candidate.ready) {
        this.next = index + 1;
        return candidate;
      }
    }
    return undefined;
  }

  private giveUp(held: Held): void {
    if (this.settings.deadLetter !== undefined) {
      void Promise.resolve(this.ctx.forward(this.settings.deadLetter, held.message)).catch((err: unknown) => {
        this.ctx.logger.warn({ err, id: held.message.id }, 'could not move a message to the dead-letter destination');
      });
    } else {
      this.dropped++;
    }
    this.forget(held, false);
  }

  private forget(held: Held, wasHeld: boolean): void {
    if (wasHeld) this.ctx.flow?.held(-held.size);
    if (held.message.persistent && this.ctx.durable) void this.ctx.durable.remove(held.message.id);
  }
}

/** One consumer on the queue: its tags, its unacknowledged deliveries, its prefetch window. */
class QueueSubscription implements Subscription {
  readonly destination: string;
  readonly tracked: boolean;
  private active = true;
  private paused = false;
  private lastTag = 0;
  /** Unacknowledged deliveries by tag, oldest first (a Map keeps insertion order). */
  private readonly unacked = new Map<number, Held>();

  constructor(private readonly queue: RedeliveringQueue, readonly consumer: Consumer) {
    this.destination = queue.name;
    this.tracked = consumer.ackMode !== 'auto';
  }

  /** Never while its session closes: what another subscription of it gives back must not come here. */
  get ready(): boolean {
    const full = this.tracked && this.consumer.prefetch > 0 && this.unacked.size >= this.consumer.prefetch;
    return this.active && !this.paused && !full && !this.consumer.session.closed;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  take(held: Held): void {
    const tag = ++this.lastTag;
    held.deliveryCount++;
    if (this.tracked) this.unacked.set(tag, held); // before deliver(): the consumer may ack inside it
    const more = this.consumer.deliver({ message: held.message, tag, redelivered: held.deliveryCount > 1, deliveryCount: held.deliveryCount });
    if (!more) this.paused = true;
  }

  /** `client`: this delivery and every earlier one (cumulative); `client-individual`: this one. */
  ack(tag: number): void | Promise<void> {
    if (!this.active) return;
    return this.queue.acknowledged(this.settle(tag));
  }

  /** Back to the queue for redelivery, with the same cumulative rule as ack (STOMP 1.2 NACK). */
  nack(tag: number): void {
    if (!this.active) return;
    this.queue.giveBack(this.settle(tag));
  }

  /**
   * Transactions (STOMP 1.2 COMMIT: all or nothing): throws what ack()/nack() would throw were
   * `settlements` applied in this order now, and changes nothing. Core calls it before a COMMIT
   * applies anything.
   */
  prepare(settlements: readonly Settlement[]): void {
    if (!this.active) return;
    const settled = new Set<number>();
    for (const { tag } of settlements) {
      if (!this.tracked) {
        if (!Number.isInteger(tag) || tag < 1 || tag > this.lastTag) throw this.unknown(tag);
        continue;
      }
      if (!this.unacked.has(tag) || settled.has(tag)) throw this.unknown(tag);
      if (this.consumer.ackMode === 'client-individual') settled.add(tag);
      else for (const t of this.unacked.keys()) {
        if (t > tag) break;
        settled.add(t);
      }
    }
  }

  resume(): void {
    if (!this.active || !this.paused) return;
    this.paused = false;
    this.queue.ready();
  }

  detach(): void {
    if (!this.active) return;
    this.active = false;
    const returned = [...this.unacked.values()];
    this.unacked.clear();
    this.queue.detached(this, returned);
  }

  /** The queue closed: nothing goes back. */
  end(): void {
    this.active = false;
    this.unacked.clear();
  }

  /** Takes the deliveries an ack or nack of `tag` settles out of the unacknowledged set. */
  private settle(tag: number): Held[] {
    if (!this.tracked) {
      if (!Number.isInteger(tag) || tag < 1 || tag > this.lastTag) throw this.unknown(tag);
      return [];
    }
    const held = this.unacked.get(tag);
    if (held === undefined) throw this.unknown(tag);
    if (this.consumer.ackMode === 'client-individual') {
      this.unacked.delete(tag);
      return [held];
    }
    const settled: Held[] = [];
    for (const [t, h] of this.unacked) {
      if (t > tag) break;
      settled.push(h);
      this.unacked.delete(t);
    }
    return settled;
  }

  private unknown(tag: number): WharfError {
    return new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `subscription ${this.consumer.id} to ${this.destination} has no unacknowledged delivery ${tag}`, {
      hint: 'acknowledge each delivery once, with the ack id of its message',
    });
  }
}
