/**
 * A topic: transient fan-out. Every attached subscriber gets every message published after it
 * attached (the same Message object, so the same id), in order. The topic exists while someone is
 * attached: the MQM creates it for the first subscribe and it releases itself when the last
 * subscriber leaves. Sends to a topic that does not exist are dropped and counted by the MQM.
 *
 * The hot path is a loop over an array of subscriptions. The array is replaced, never changed in
 * place, when someone attaches or leaves, so a consumer that subscribes or detaches from inside
 * deliver() cannot disturb a publish that is running.
 */
import {
  ErrorCodes,
  WharfError,
  type Consumer,
  type Destination,
  type DestinationStats,
  type Message,
  type QueueContext,
} from '@wharf/core';
import { Deque } from '@wharf/core';
import type { TopicSettings } from './settings.js';
import { TopicSubscription, type TopicHost } from './subscription.js';

const NO_SUBSCRIPTIONS: readonly TopicSubscription[] = Object.freeze([]);

export class Topic implements Destination, TopicHost {
  private subscriptions: readonly TopicSubscription[] = NO_SUBSCRIPTIONS;
  private closed = false;
  /** A publish is running: messages published meanwhile (from inside deliver()) wait here. */
  private publishing = false;
  private readonly backlog = new Deque<Message>();
  private enqueued = 0;
  private delivered = 0;
  private dropped = 0;
  /** Subscriptions whose buffer is over its limits (`block` policy): while any, producers are paused. */
  private blockingSubscriptions = 0;

  constructor(
    readonly name: string,
    readonly type: string,
    readonly settings: TopicSettings,
    private readonly ctx: QueueContext,
  ) {}

  publish(message: Message): void {
    this.enqueued++;
    if (this.publishing) {
      // Sent from inside a deliver() of this topic: it goes out after the message being
      // delivered, to every subscriber, so each producer's order holds for all of them.
      this.backlog.push(message);
      return;
    }
    this.publishing = true;
    try {
      this.fanOut(message);
      const backlog = this.backlog;
      while (backlog.length > 0) this.fanOut(backlog.shift()!);
    } finally {
      this.publishing = false;
    }
  }

  /**
   * A topic takes every message (slow subscribers are handled by their policy, never by refusing
   * the sender), so a transaction's messages are always accepted (Destination.prepare).
   */
  prepare(_messages: readonly Message[]): void {}

  attach(consumer: Consumer): TopicSubscription {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, `topic ${this.name} is closed`, { hint: 'subscribe again: the name is routed anew' });
    const subscription = new TopicSubscription(this, consumer);
    this.subscriptions = [...this.subscriptions, subscription];
    return subscription;
  }

  /** Empties every subscriber's pending buffer; returns how many messages were removed. */
  purge(): number {
    let count = 0;
    for (const s of this.subscriptions) count += s.clearPending();
    return count;
  }

  stats(): DestinationStats {
    let depth = 0;
    let unacked = 0;
    for (const s of this.subscriptions) {
      depth += s.pendingCount;
      unacked += s.unackedCount;
    }
    return { subscribers: this.subscriptions.length, depth, unacked, enqueued: this.enqueued, delivered: this.delivered, dropped: this.dropped };
  }

  close(reason: WharfError): void {
    if (this.closed) return;
    this.closed = true;
    const subscriptions = this.subscriptions;
    this.subscriptions = NO_SUBSCRIPTIONS;
    for (const s of subscriptions) s.end();
    for (const s of subscriptions) s.consumer.cancel(reason);
  }

  private fanOut(message: Message): void {
    const subscriptions = this.subscriptions;
    const count = subscriptions.length;
    if (count === 0) {
      // Only between the topic's creation and its first subscriber, or after close.
      this.dropped++;
      return;
    }
    for (let i = 0; i < count; i++) {
      const subscription = subscriptions[i]!;
      if (subscription.active) subscription.offer(message);
    }
  }

  // ------------------------------------------------------------ TopicHost (called by subscriptions)

  counted(delivered: number, dropped: number): void {
    this.delivered += delivered;
    this.dropped += dropped;
  }

  blocking(delta: 1 | -1): void {
    const before = this.blockingSubscriptions > 0;
    this.blockingSubscriptions += delta;
    const after = this.blockingSubscriptions > 0;
    // Core pauses the sessions that send here while the topic says it is blocked (QueueContext.flow).
    if (before !== after) this.ctx.flow?.blocked(after);
  }

  removed(subscription: TopicSubscription): void {
    const remaining = this.subscriptions.filter((s) => s !== subscription);
    this.subscriptions = remaining.length === 0 ? NO_SUBSCRIPTIONS : remaining;
    // A topic exists only while someone listens.
    if (remaining.length === 0 && !this.closed) this.ctx.release();
  }
}
