/**
 * The replay type: fan-out like a topic, plus a bounded history. Each subscription keeps its own
 * pending list, so a consumer that says "full" (deliver() returned false) holds up nobody else.
 */
import {
  ErrorCodes, WharfError,
  type Consumer, type Delivery, type Destination, type DestinationStats, type JsonSchema,
  type Message, type QueueContext, type QueueType, type Settlement, type Subscription,
  messageSize,
} from '@wharf/core';

export interface ReplaySettings {
  /** How many recent messages each new subscriber receives first. */
  readonly history: number;
  /** Most messages waiting for one slow subscriber before it is cancelled. */
  readonly maxPending: number;
}

const settingsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    history: { type: 'integer', minimum: 0, default: 100, description: 'messages replayed to each new subscriber' },
    maxPending: { type: 'integer', minimum: 1, default: 10000, description: 'messages waiting for one slow subscriber before it is cancelled' },
  },
};

export class ReplayQueueType implements QueueType {
  readonly type = 'replay';
  readonly settingsSchema = settingsSchema;
  create(name: string, settings: Record<string, unknown>, ctx: QueueContext): Destination {
    return new ReplayTopic(name, settings as unknown as ReplaySettings, ctx);
  }
}

class ReplaySubscription implements Subscription {
  private nextTag = 0;
  private readonly pending: Message[] = [];
  private readonly unacked = new Set<number>();
  private paused = false;

  constructor(readonly destination: string, readonly consumer: Consumer, private readonly topic: ReplayTopic) {}

  /** Delivers now, or queues while the consumer is full or its prefetch window is. */
  offer(message: Message): void {
    if (!this.canTake() || this.pending.length > 0) {
      if (this.pending.length >= this.topic.settings.maxPending) {
        this.topic.cancel(this, new WharfError(ErrorCodes.LIMIT, `subscriber too slow for ${this.destination}: ${this.pending.length} messages waiting`, {
          hint: 'consume faster, or raise maxPending in the routing rule options',
        }));
        return;
      }
      this.pending.push(message);
      return;
    }
    this.send(message);
  }

  /** Not paused, and in a client mode with a prefetch, fewer unacknowledged deliveries than that. */
  private canTake(): boolean {
    const { ackMode, prefetch } = this.consumer;
    return !this.paused && (ackMode === 'auto' || prefetch === 0 || this.unacked.size < prefetch);
  }

  /** Sends what waits, as far as the consumer can take it. */
  private flush(): void {
    while (this.canTake() && this.pending.length > 0) this.send(this.pending.shift()!);
  }

  private send(message: Message): void {
    const delivery: Delivery = { message, tag: ++this.nextTag, redelivered: false, deliveryCount: 1 };
    if (this.consumer.ackMode !== 'auto') this.unacked.add(delivery.tag);
    this.topic.delivered++;
    if (!this.consumer.deliver(delivery)) this.paused = true;
  }

  get unackedCount(): number {
    return this.unacked.size;
  }

  // A replay topic never redelivers: acks only close the books, in both client modes.
  ack(tag: number): void {
    if (this.consumer.ackMode === 'client') {
      if (!this.unacked.has(tag)) throw unknownTag(tag, this.destination);
      for (const t of this.unacked) if (t <= tag) this.unacked.delete(t);
    } else if (!this.unacked.delete(tag)) throw unknownTag(tag, this.destination);
    this.flush();
  }

  nack(tag: number): void {
    this.ack(tag);
  }

  /**
   * A transaction's ACKs and NACKs, checked before its COMMIT applies any (STOMP 1.2 §COMMIT: all
   * or nothing): throws what ack() would throw were they applied in this order, and changes
   * nothing. Without it a COMMIT whose third ACK names an unknown tag would apply the first two.
   */
  prepare(settlements: readonly Settlement[]): void {
    const settled = new Set<number>();
    const cumulative = this.consumer.ackMode === 'client';
    for (let index = 0; index < settlements.length; index++) {
      const tag = settlements[index]!.tag;
      if (!this.unacked.has(tag) || settled.has(tag)) throw unknownTag(tag, this.destination, index);
      if (!cumulative) settled.add(tag);
      else for (const t of this.unacked) if (t <= tag) settled.add(t);
    }
  }

  resume(): void {
    this.paused = false;
    this.flush();
  }

  /** Drops what waits for this consumer; returns the dropped messages. */
  purge(): Message[] {
    return this.pending.splice(0);
  }

  detach(): void {
    this.topic.remove(this);
  }
}

function unknownTag(tag: number, destination: string, index?: number): WharfError {
  return new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no unacknowledged delivery ${tag} on ${destination}`,
    index === undefined ? {} : { details: { index } });
}

class ReplayTopic implements Destination {
  readonly type = 'replay';
  delivered = 0;
  private readonly subscriptions = new Set<ReplaySubscription>();
  private readonly history: Message[] = [];
  private enqueued = 0;

  constructor(readonly name: string, readonly settings: ReplaySettings, private readonly ctx: QueueContext) {}

  publish(message: Message): void {
    this.enqueued++;
    if (this.settings.history > 0) {
      this.history.push(message);
      this.held(message, 1);
      if (this.history.length > this.settings.history) this.held(this.history.shift()!, -1);
    }
    for (const subscription of this.subscriptions) subscription.offer(message);
  }

  attach(consumer: Consumer): Subscription {
    const subscription = new ReplaySubscription(this.name, consumer, this);
    this.subscriptions.add(subscription);
    for (const message of this.history) subscription.offer(message);
    return subscription;
  }

  remove(subscription: ReplaySubscription): void {
    this.subscriptions.delete(subscription);
  }

  cancel(subscription: ReplaySubscription, reason: WharfError): void {
    this.subscriptions.delete(subscription);
    subscription.consumer.cancel(reason);
  }

  /** The history's bytes count in the broker's memory accounting (QueueContext.flow). */
  private held(message: Message, sign: 1 | -1): void {
    this.ctx.flow?.held(sign * messageSize(message));
  }

  /** Forgets the history and what waits for slow consumers; counts each message once. */
  purge(): number {
    for (const m of this.history) this.held(m, -1);
    const purged = new Set<string>(this.history.splice(0).map((m) => m.id));
    for (const subscription of this.subscriptions) for (const m of subscription.purge()) purged.add(m.id);
    return purged.size;
  }

  stats(): DestinationStats {
    let unacked = 0;
    for (const subscription of this.subscriptions) unacked += subscription.unackedCount;
    return { subscribers: this.subscriptions.size, depth: this.history.length, unacked, enqueued: this.enqueued, delivered: this.delivered, dropped: 0 };
  }

  close(reason: WharfError): void {
    for (const m of this.history.splice(0)) this.held(m, -1);
    for (const subscription of [...this.subscriptions]) this.cancel(subscription, reason);
    this.ctx.logger.debug({ reason: reason.message }, 'replay topic closed');
  }
}
