/**
 * One consumer attached to a queue: its delivery tags, its unacknowledged deliveries (client
 * modes) and whether it can take another message right now.
 */
import { ErrorCodes, WharfError, type Consumer, type Message, type Settlement, type Subscription } from '@wharf/core';

/** A message as the queue holds it: how often it was handed out, and its size for byte limits. */
export interface HeldMessage {
  readonly message: Message;
  /** 0 when never delivered; each delivery adds one. */
  deliveryCount: number;
  /** messageSize(): for byte limits, highWaterMarkBytes and the broker's memory accounting. */
  readonly size: number;
  /** Kept in the durable store: removed from it on acknowledgement. */
  readonly durable: boolean;
}

/** What a subscription tells its queue. */
export interface QueueHost {
  readonly name: string;
  /** The subscription can take messages again (window freed, resumed). */
  ready(subscription: QueueSubscription): void;
  /**
   * Acknowledged messages are done; the subscription may take more. Returns a promise when the
   * store must forget some of them first.
   */
  acknowledged(subscription: QueueSubscription, messages: HeldMessage | readonly HeldMessage[]): void | Promise<void>;
  /** Messages go back to the head of the queue, in the order given. */
  requeue(subscription: QueueSubscription, messages: HeldMessage[]): void;
  /** The subscription ended; `returned` are its unacknowledged messages, oldest first. */
  detached(subscription: QueueSubscription, returned: HeldMessage[]): void;
}

const NONE: HeldMessage[] = [];

export class QueueSubscription implements Subscription {
  readonly destination: string;
  /** False once detached or cancelled. */
  active = true;
  /** deliver() answered false and resume() has not been called since. */
  paused = false;
  /** Whether the queue's ready ring holds this subscription (maintained by the queue). */
  inRing = false;
  private lastTag = 0;
  /** Client modes: unacknowledged deliveries by tag, in tag order (a Map keeps insertion order). */
  private readonly unacked = new Map<number, HeldMessage>();
  /** Client ack modes: deliveries wait for an ACK (auto: done once handed over). */
  readonly tracked: boolean;
  private readonly cumulative: boolean;
  /** Most unacknowledged deliveries at once (client modes with a prefetch), else Infinity. */
  private readonly window: number;

  constructor(
    private readonly queue: QueueHost,
    readonly consumer: Consumer,
  ) {
    this.destination = queue.name;
    this.tracked = consumer.ackMode !== 'auto';
    this.cumulative = consumer.ackMode === 'client';
    this.window = this.tracked && consumer.prefetch > 0 ? consumer.prefetch : Number.POSITIVE_INFINITY;
  }

  /** Can take one more message now (never while its session closes: see SessionInfo.closed). */
  get ready(): boolean {
    return this.active && !this.paused && this.unacked.size < this.window && !this.consumer.session.closed;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  /** Hands a message to the consumer. The queue calls this only when `ready`. */
  take(held: HeldMessage): void {
    const tag = ++this.lastTag;
    const deliveryCount = ++held.deliveryCount;
    // Tracked before deliver(): the consumer may ack synchronously from inside it.
    if (this.tracked) this.unacked.set(tag, held);
    const more = this.consumer.deliver({ message: held.message, tag, redelivered: deliveryCount > 1, deliveryCount });
    if (!more && this.active) this.paused = true;
  }

  /**
   * In `client` mode also acknowledges every earlier unacknowledged delivery (STOMP 1.2 §ACK).
   * Returns a promise when persistent messages are among them: it resolves once the store forgot them.
   */
  ack(tag: number): void | Promise<void> {
    if (!this.active) return; // ended: its messages went back already
    if (!this.tracked) return this.checkDelivered(tag);
    const held = this.unacked.get(tag);
    if (held === undefined) throw this.unknownTag(tag);
    if (this.cumulative) return this.queue.acknowledged(this, this.takeThrough(tag));
    this.unacked.delete(tag);
    return this.queue.acknowledged(this, held);
  }

  /**
   * The message goes back to the head of the queue for redelivery. In `client` mode every earlier
   * unacknowledged delivery goes back with it, in order (STOMP 1.2 §NACK: cumulative like ACK).
   */
  nack(tag: number): void {
    if (!this.active) return;
    if (!this.tracked) return this.checkDelivered(tag);
    const held = this.unacked.get(tag);
    if (held === undefined) throw this.unknownTag(tag);
    let returned: HeldMessage[];
    if (this.cumulative) returned = this.takeThrough(tag);
    else {
      this.unacked.delete(tag);
      returned = [held];
    }
    this.queue.requeue(this, returned);
  }

  /**
   * A transaction's ACKs and NACKs, checked before its commit applies anything (Subscription.prepare):
   * each must name a delivery still unsettled once the ones before it took effect (in `client` mode
   * a settlement covers every earlier delivery, so a later one may not name an earlier tag).
   */
  prepare(settlements: readonly Settlement[]): void {
    if (!this.active) return; // ended: its settlements do nothing
    let through = 0;
    const settled = this.cumulative ? undefined : new Set<number>();
    for (let index = 0; index < settlements.length; index++) {
      const tag = settlements[index]!.tag;
      const open = this.tracked
        ? this.unacked.has(tag) && (settled === undefined ? tag > through : !settled.has(tag))
        : Number.isInteger(tag) && tag >= 1 && tag <= this.lastTag;
      if (!open) throw this.unknownTag(tag, index);
      if (settled === undefined) through = tag;
      else settled.add(tag);
    }
  }

  resume(): void {
    if (!this.active || !this.paused) return;
    this.paused = false;
    this.queue.ready(this);
  }

  detach(): void {
    if (!this.active) return;
    this.active = false;
    this.queue.detached(this, this.drain());
  }

  /** Ends the subscription without returning anything (the queue is closing). */
  end(): void {
    this.active = false;
    this.unacked.clear();
  }

  /** Removes and returns the unacknowledged deliveries up to and including `tag`, oldest first. */
  private takeThrough(tag: number): HeldMessage[] {
    const taken: HeldMessage[] = [];
    for (const [t, held] of this.unacked) {
      if (t > tag) break;
      taken.push(held);
      this.unacked.delete(t);
    }
    return taken;
  }

  private drain(): HeldMessage[] {
    if (this.unacked.size === 0) return NONE;
    const all = [...this.unacked.values()];
    this.unacked.clear();
    return all;
  }

  /** Auto mode tracks nothing: a tag that was handed out is fine (and means nothing). */
  private checkDelivered(tag: number): void {
    if (!Number.isInteger(tag) || tag < 1 || tag > this.lastTag) throw this.unknownTag(tag);
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
