/**
 * One subscriber of a topic, with its own bounded pending buffer: while the consumer cannot take
 * messages (deliver() answered false, or its prefetch window is full) they wait here, and past the
 * buffer's bounds the topic's slow-subscriber policy applies. With `disconnect` and `drop-oldest`
 * each subscriber is independent, so a slow one never holds up the others; with `block` a full
 * buffer slows the topic's producers down instead (core's flow control), so nobody loses anything
 * and everyone goes at the pace of the slowest.
 */
import { ErrorCodes, WharfError, messageSize, type Consumer, type Message, type Settlement, type Subscription } from '@wharf/core';
import { Deque } from '@wharf/core';
import type { TopicSettings } from './settings.js';

/** What a subscription tells its topic. */
export interface TopicHost {
  readonly name: string;
  readonly settings: TopicSettings;
  /** Counts deliveries made and messages dropped by a subscription. */
  counted(delivered: number, dropped: number): void;
  /** The subscription ended (detached, cancelled as too slow). */
  removed(subscription: TopicSubscription): void;
  /** `block` policy: this subscription's buffer went over its limits (+1) or back under 80% of them (-1). */
  blocking(delta: 1 | -1): void;
}

/** A blocking subscription lets its producers go again once its buffer is down to this share of the limits. */
const UNBLOCK_RATIO = 0.8;

export class TopicSubscription implements Subscription {
  readonly destination: string;
  /** False once detached or cancelled. */
  active = true;
  private readonly pending = new Deque<Message>();
  private pendingBytes = 0;
  /** deliver() answered false and resume() has not been called since. */
  private paused = false;
  /** `block` policy: the buffer went over its limits and has not drained to UNBLOCK_RATIO of them since. */
  private blocked = false;
  /** Inside deliver(): calls made from there (publish, resume, ack) leave the flushing to the loop. */
  private busy = false;
  private lastTag = 0;
  private readonly mode: 'auto' | 'cumulative' | 'individual';
  /** `client` mode: every tag up to here is acknowledged (tags on a topic are consecutive). */
  private ackedThrough = 0;
  /** `client-individual` mode: the tags not yet acknowledged. */
  private readonly unackedTags = new Set<number>();
  /** Most unacknowledged deliveries at once (client modes with a prefetch), else Infinity. */
  private readonly window: number;

  constructor(
    private readonly topic: TopicHost,
    readonly consumer: Consumer,
  ) {
    this.destination = topic.name;
    this.mode = consumer.ackMode === 'client' ? 'cumulative' : consumer.ackMode === 'client-individual' ? 'individual' : 'auto';
    this.window = this.mode !== 'auto' && consumer.prefetch > 0 ? consumer.prefetch : Number.POSITIVE_INFINITY;
  }

  get unackedCount(): number {
    if (this.mode === 'cumulative') return this.lastTag - this.ackedThrough;
    return this.unackedTags.size;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** A message published to the topic: delivered now if the consumer can take it, else buffered. */
  offer(message: Message): void {
    if (this.busy || this.pending.length > 0 || !this.canTake()) {
      this.buffer(message);
      return;
    }
    this.busy = true;
    try {
      this.send(message);
      this.flush();
    } finally {
      this.busy = false;
    }
  }

  /** Topics do not redeliver: an ack only frees the prefetch window (`client`: cumulatively). */
  ack(tag: number): void {
    if (!this.active) return;
    this.settle(tag);
  }

  /** Topics do not redeliver: a nack is taken like an ack (the message is not sent again). */
  nack(tag: number): void {
    if (!this.active) return;
    this.settle(tag);
  }

  /**
   * A transaction's ACKs and NACKs, checked before its commit applies anything (Subscription.prepare):
   * each must name a delivery still unsettled once the ones before it took effect, as settle() checks.
   */
  prepare(settlements: readonly Settlement[]): void {
    if (!this.active) return; // ended: its settlements do nothing
    let through = this.ackedThrough;
    const settled = new Set<number>();
    for (let index = 0; index < settlements.length; index++) {
      const tag = settlements[index]!.tag;
      let open = Number.isInteger(tag) && tag >= 1 && tag <= this.lastTag;
      if (open && this.mode === 'cumulative') open = tag > through;
      else if (open && this.mode === 'individual') open = this.unackedTags.has(tag) && !settled.has(tag);
      if (!open) throw this.unknownTag(tag, index);
      through = tag;
      settled.add(tag);
    }
  }

  resume(): void {
    if (!this.active || !this.paused) return;
    this.paused = false;
    this.pump();
  }

  detach(): void {
    if (!this.active) return;
    this.end();
    this.topic.removed(this);
  }

  /** Ends the subscription quietly (the topic is closing). */
  end(): void {
    this.active = false;
    this.clearPending();
  }

  /** Empties the pending buffer; returns how many messages it held. */
  clearPending(): number {
    const count = this.pending.length;
    if (count > 0) this.pending.clear();
    this.pendingBytes = 0;
    this.unblockIfDrained();
    return count;
  }

  // ------------------------------------------------------------ internals

  private canTake(): boolean {
    return this.active && !this.paused && this.unackedCount < this.window;
  }

  private send(message: Message): void {
    const tag = ++this.lastTag;
    // Tracked before deliver(): the consumer may ack from inside it.
    if (this.mode === 'individual') this.unackedTags.add(tag);
    this.topic.counted(1, 0);
    if (!this.consumer.deliver({ message, tag, redelivered: false, deliveryCount: 1 }) && this.active) this.paused = true;
  }

  /** Delivers pending messages while the consumer can take them. */
  private flush(): void {
    const pending = this.pending;
    while (pending.length > 0 && this.canTake()) {
      const message = pending.shift()!;
      this.pendingBytes -= messageSize(message);
      this.send(message);
    }
    if (this.blocked) this.unblockIfDrained();
  }

  private unblockIfDrained(): void {
    if (!this.blocked) return;
    const { maxPendingMessages, maxPendingBytes } = this.topic.settings;
    if (this.active && (this.pending.length > maxPendingMessages * UNBLOCK_RATIO || this.pendingBytes > maxPendingBytes * UNBLOCK_RATIO)) return;
    this.blocked = false;
    this.topic.blocking(-1);
  }

  private pump(): void {
    if (this.busy) return; // the running loop re-checks after deliver() returns
    this.busy = true;
    try {
      this.flush();
    } finally {
      this.busy = false;
    }
  }

  private buffer(message: Message): void {
    if (!this.active) return;
    const { maxPendingMessages, maxPendingBytes, slowSubscriberPolicy } = this.topic.settings;
    const size = messageSize(message);
    if (slowSubscriberPolicy === 'block') {
      // Never dropped: messages read before the producers were paused still join the buffer.
      this.pending.push(message);
      this.pendingBytes += size;
      if (!this.blocked && (this.pending.length >= maxPendingMessages || this.pendingBytes >= maxPendingBytes)) {
        this.blocked = true;
        this.topic.blocking(1);
      }
      return;
    }
    if (this.pending.length >= maxPendingMessages || this.pendingBytes + size > maxPendingBytes) {
      if (slowSubscriberPolicy === 'disconnect') {
        this.tooSlow();
        return;
      }
      if (size > maxPendingBytes) {
        // Larger than the whole buffer: dropping older messages would not make room for it.
        this.topic.counted(0, 1);
        return;
      }
      let dropped = 0;
      while (this.pending.length > 0 && (this.pending.length >= maxPendingMessages || this.pendingBytes + size > maxPendingBytes)) {
        this.pendingBytes -= messageSize(this.pending.shift()!);
        dropped++;
      }
      this.topic.counted(0, dropped);
    }
    this.pending.push(message);
    this.pendingBytes += size;
  }

  /** The `disconnect` policy: the subscription ends and the consumer is told why. */
  private tooSlow(): void {
    const { maxPendingMessages, maxPendingBytes } = this.topic.settings;
    const held = this.pending.length;
    const bytes = this.pendingBytes;
    const reason = new WharfError(
      ErrorCodes.LIMIT,
      `subscriber too slow: subscription ${this.consumer.id} to ${this.destination} has its pending buffer full ` +
        `(${held} messages / ${bytes} bytes; limits ${maxPendingMessages} messages / ${maxPendingBytes} bytes)`,
      {
        hint: 'consume faster, or raise maxPendingMessages / maxPendingBytes, or set slowSubscriberPolicy: drop-oldest in the routing rule',
        details: { destination: this.destination, subscription: this.consumer.id, limit: 'pendingBuffer', pendingMessages: held, pendingBytes: bytes },
      },
    );
    this.topic.counted(0, held + 1);
    this.end();
    this.topic.removed(this);
    this.consumer.cancel(reason);
  }

  private settle(tag: number): void {
    if (!Number.isInteger(tag) || tag < 1 || tag > this.lastTag) throw this.unknownTag(tag);
    if (this.mode === 'cumulative') {
      if (tag <= this.ackedThrough) throw this.unknownTag(tag);
      this.ackedThrough = tag;
    } else if (this.mode === 'individual') {
      if (!this.unackedTags.delete(tag)) throw this.unknownTag(tag);
    } else {
      return; // auto: nothing is tracked
    }
    this.pump();
  }

  private unknownTag(tag: number, index?: number): WharfError {
    return new WharfError(
      ErrorCodes.UNKNOWN_SUBSCRIPTION,
      `subscription ${this.consumer.id} to ${this.destination} has no unacknowledged delivery with tag ${tag}`,
      {
        hint: 'acknowledge each delivery once, with the ack id of its message; in client mode an ack also covers every earlier delivery',
        details: { destination: this.destination, subscription: this.consumer.id, tag, ...(index === undefined ? {} : { index }) },
      },
    );
  }
}
