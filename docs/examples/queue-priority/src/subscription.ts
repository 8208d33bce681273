/**
 * One consumer attached to a priority queue: its delivery tags, its unacknowledged deliveries and
 * whether it can take another message right now. The queue decides *which* message goes to
 * *which* subscription; the subscription keeps the books of one consumer.
 */
import { ErrorCodes, WharfError, type Consumer, type Subscription } from '@wharf/core';
import type { HeldMessage } from './lanes.js';

/** An ACK or NACK waiting in a transaction: the shape core hands to prepare() (core's `Settlement`). */
export interface Settlement {
  readonly kind: 'ack' | 'nack';
  readonly tag: number;
}

/** What a subscription tells its queue (an interface, so the two files do not import each other). */
export interface SubscriptionOwner {
  readonly name: string;
  /** The subscription may take messages again (an ack freed its window, resume()). */
  ready(subscription: PrioritySubscription): void;
  /** These deliveries are done. A promise when the store must forget some of them first. */
  acknowledged(subscription: PrioritySubscription, messages: readonly HeldMessage[]): void | Promise<void>;
  /** These deliveries were refused (NACK): back to the head of their priority, oldest first. */
  requeue(subscription: PrioritySubscription, messages: readonly HeldMessage[]): void;
  /** The subscription ended; `returned` are its unacknowledged deliveries, oldest first. */
  detached(subscription: PrioritySubscription, returned: readonly HeldMessage[]): void;
}

export class PrioritySubscription implements Subscription {
  readonly destination: string;
  /** False once detached, or once the queue closed. */
  private active = true;
  /** deliver() answered false, and resume() has not been called since. */
  private paused = false;
  private lastTag = 0;
  /** Unacknowledged deliveries by tag, in tag order (a Map iterates in insertion order). */
  private readonly unacked = new Map<number, HeldMessage>();
  /** Client modes wait for an ACK; `auto` is done once deliver() was called. */
  readonly tracked: boolean;
  /** `client` mode: an ACK (or NACK) covers its delivery and every earlier one. */
  private readonly cumulative: boolean;
  /** The most unacknowledged deliveries at once: the consumer's prefetch; 0 means no limit. */
  private readonly window: number;

  constructor(private readonly owner: SubscriptionOwner, readonly consumer: Consumer) {
    this.destination = owner.name;
    this.tracked = consumer.ackMode !== 'auto';
    this.cumulative = consumer.ackMode === 'client';
    // prefetch only limits what waits for an ACK, so it means nothing in auto mode.
    this.window = this.tracked && consumer.prefetch > 0 ? consumer.prefetch : Number.POSITIVE_INFINITY;
  }

  // #region ready
  /**
   * Can take one more message now. Never while its session is closing: the session detaches its
   * subscriptions one by one, and a message the first gives back must not go to the second.
   */
  get ready(): boolean {
    return this.active && !this.paused && this.unacked.size < this.window && !this.consumer.session.closed;
  }
  // #endregion ready

  get unackedCount(): number {
    return this.unacked.size;
  }

  // #region take
  /** Hands a message to the consumer. The queue calls this only when `ready`. */
  take(held: HeldMessage): void {
    const tag = ++this.lastTag;
    const deliveryCount = ++held.deliveryCount;
    // Recorded before deliver(): a consumer may acknowledge from inside deliver().
    if (this.tracked) this.unacked.set(tag, held);
    const more = this.consumer.deliver({ message: held.message, tag, redelivered: deliveryCount > 1, deliveryCount });
    // Backpressure: false means "my buffer is full" (the delivery itself was taken).
    if (!more && this.active) this.paused = true;
  }
  // #endregion take

  // #region ack-nack
  /**
   * `client`: acknowledges this delivery and every earlier one (STOMP 1.2 §SUBSCRIBE ack header).
   * `client-individual`: this one only. `auto`: nothing to do, but the tag must have been handed out.
   */
  ack(tag: number): void | Promise<void> {
    if (!this.active) return; // detached: its messages went back already
    if (!this.tracked) return this.checkHandedOut(tag);
    if (!this.unacked.has(tag)) throw this.unknownTag(tag);
    return this.owner.acknowledged(this, this.covered(tag));
  }

  /** The refused deliveries go back to the queue, to be redelivered marked `redelivered`. */
  nack(tag: number): void {
    if (!this.active) return;
    if (!this.tracked) return this.checkHandedOut(tag);
    if (!this.unacked.has(tag)) throw this.unknownTag(tag);
    this.owner.requeue(this, this.covered(tag));
  }

  /** Removes the deliveries an ACK or NACK of `tag` covers: cumulative in `client` mode. */
  private covered(tag: number): HeldMessage[] {
    if (!this.cumulative) {
      const held = this.unacked.get(tag)!;
      this.unacked.delete(tag);
      return [held];
    }
    const covered: HeldMessage[] = [];
    for (const [t, held] of this.unacked) {
      if (t > tag) break;
      covered.push(held);
      this.unacked.delete(t);
    }
    return covered;
  }
  // #endregion ack-nack

  // #region prepare-settlements
  /**
   * Transactions (STOMP 1.2 §COMMIT: all or nothing): throws what ack()/nack() would throw were
   * `settlements` applied in this order now, and changes nothing. Core calls it at COMMIT, before
   * it applies any operation of the transaction (and finds the position of the refused one itself).
   */
  prepare(settlements: readonly Settlement[]): void {
    if (!this.active) return; // detached: ack() and nack() would do nothing either
    const settled = new Set<number>();
    for (const { tag } of settlements) {
      if (!this.tracked) {
        this.checkHandedOut(tag);
        continue;
      }
      if (!this.unacked.has(tag) || settled.has(tag)) throw this.unknownTag(tag);
      // What an ACK or NACK of `tag` would settle: in client mode every earlier delivery too.
      if (!this.cumulative) settled.add(tag);
      else for (const t of this.unacked.keys()) {
        if (t > tag) break;
        settled.add(t);
      }
    }
  }
  // #endregion prepare-settlements

  resume(): void {
    if (!this.active || !this.paused) return;
    this.paused = false;
    this.owner.ready(this);
  }

  /** Ends the subscription; its unacknowledged messages go back to the queue. Idempotent. */
  detach(): void {
    if (!this.active) return;
    this.active = false;
    const returned = [...this.unacked.values()];
    this.unacked.clear();
    this.owner.detached(this, returned);
  }

  /** The queue closed: ends without giving anything back. */
  end(): void {
    this.active = false;
    this.unacked.clear();
  }

  /** Auto mode keeps no books: a tag that was handed out is fine, any other is the client's mistake. */
  private checkHandedOut(tag: number): void {
    if (!Number.isInteger(tag) || tag < 1 || tag > this.lastTag) throw this.unknownTag(tag);
  }

  private unknownTag(tag: number): WharfError {
    return new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION,
      `subscription ${this.consumer.id} to ${this.destination} has no unacknowledged delivery with tag ${tag}`, {
        hint: 'acknowledge each delivery once, with the ack id of its message; in client mode an ack also covers every earlier delivery',
        details: { destination: this.destination, subscription: this.consumer.id, tag },
      });
  }
}
