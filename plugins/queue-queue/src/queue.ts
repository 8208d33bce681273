/**
 * A queue: holds messages until someone can take them, then hands each to exactly one subscriber,
 * round-robin. Unacknowledged messages that come back (NACK, unsubscribe, disconnect) go to the
 * head and are redelivered, marked as such.
 *
 * Dispatch is O(1) amortized per message: subscriptions that can take a message right now sit in a
 * ring (a deque); dispatch takes the ring's head, hands it the queue's head, and puts it back at
 * the tail if it can take more. A subscription leaves the ring only by being served while full, so
 * a full subscriber costs nothing until it acks or resumes, when it rejoins at the tail.
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
} from '@wharf/core';
import { Deque } from '@wharf/core';
import type { QueueSettings } from './settings.js';
import { QueueSubscription, type HeldMessage, type QueueHost } from './subscription.js';

export class MessageQueue implements Destination, QueueHost {
  private readonly held = new Deque<HeldMessage>();
  private heldBytes = 0;
  /** Attached subscriptions, in attach order. */
  private subscriptions: QueueSubscription[] = [];
  /** Subscriptions that may take a message now, next first (entries may be stale: checked on use). */
  private readonly ring = new Deque<QueueSubscription>();
  private dispatching = false;
  private closed = false;
  /** Measure messages only when a byte limit needs it. */
  private readonly measure: boolean;
  private enqueued = 0;
  private delivered = 0;
  private dropped = 0;

  constructor(
    readonly name: string,
    readonly type: string,
    private readonly settings: QueueSettings,
    private readonly ctx: QueueContext,
  ) {
    this.measure = settings.maxBytes !== undefined;
  }

  publish(message: Message): void {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'send again: the name is routed anew' });
    const size = this.measure ? messageSize(message) : 0;
    if (this.settings.maxLength !== undefined || this.settings.maxBytes !== undefined) this.makeRoom(size);
    this.held.push({ message, deliveryCount: 0, size });
    this.heldBytes += size;
    this.enqueued++;
    if (this.ring.length > 0) this.dispatch();
  }

  attach(consumer: Consumer): QueueSubscription {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'subscribe again: the name is routed anew' });
    const subscription = new QueueSubscription(this, consumer);
    this.subscriptions.push(subscription);
    this.ready(subscription);
    return subscription;
  }

  purge(): number {
    const count = this.held.length;
    this.held.clear();
    this.heldBytes = 0;
    this.maybeAutoDelete();
    return count;
  }

  stats(): DestinationStats {
    let unacked = 0;
    for (const s of this.subscriptions) unacked += s.unackedCount;
    return {
      subscribers: this.subscriptions.length,
      depth: this.held.length,
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
    this.heldBytes = 0;
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
        this.heldBytes -= next.size;
        this.delivered++;
        subscription.take(next);
        if (!subscription.inRing && subscription.ready) {
          subscription.inRing = true;
          ring.push(subscription);
        }
      }
    } finally {
      this.dispatching = false;
    }
  }

  /** Puts messages back at the head, keeping their order. */
  private returnToHead(messages: HeldMessage[]): void {
    for (let i = messages.length - 1; i >= 0; i--) {
      const m = messages[i]!;
      this.held.unshift(m);
      this.heldBytes += m.size;
    }
  }

  private skipNext(subscription: QueueSubscription): void {
    const ring = this.ring;
    while (ring.length > 0 && !ring.peek()!.ready) ring.shift()!.inRing = false;
    if (ring.length > 1 && ring.peek() === subscription) ring.push(ring.shift()!);
  }

  /** Applies maxLength / maxBytes before a message of `size` bytes is added. */
  private makeRoom(size: number): void {
    const { maxLength, maxBytes, overflow } = this.settings;
    if (maxBytes !== undefined && size > maxBytes) {
      throw new WharfError(ErrorCodes.OVERFLOW, `queue ${this.name} refuses a message of ${size} bytes: its maxBytes is ${maxBytes}`, {
        hint: `send smaller messages, or raise maxBytes in the routing rule for ${this.name}`,
        details: { destination: this.name, limit: 'maxBytes', value: maxBytes },
      });
    }
    if (!this.isFull(size)) return;
    if (overflow === 'reject') {
      const which = maxLength !== undefined && this.held.length >= maxLength
        ? { limit: 'maxLength', value: maxLength, text: `${maxLength} messages` }
        : { limit: 'maxBytes', value: maxBytes!, text: `${maxBytes} bytes` };
      throw new WharfError(ErrorCodes.OVERFLOW, `queue ${this.name} is full: it holds ${this.held.length} messages and its ${which.limit} is ${which.text}`, {
        hint: `wait for consumers to catch up, raise ${which.limit}, or set overflow: drop-head in the routing rule for ${this.name}`,
        details: { destination: this.name, limit: which.limit, value: which.value },
      });
    }
    while (this.held.length > 0 && this.isFull(size)) {
      this.heldBytes -= this.held.shift()!.size;
      this.dropped++;
    }
  }

  private isFull(size: number): boolean {
    const { maxLength, maxBytes } = this.settings;
    return (maxLength !== undefined && this.held.length >= maxLength) || (maxBytes !== undefined && this.heldBytes + size > maxBytes);
  }

  private maybeAutoDelete(): void {
    if (this.settings.autoDelete && !this.closed && this.subscriptions.length === 0 && this.held.length === 0) this.ctx.release();
  }
}
