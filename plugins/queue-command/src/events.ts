/**
 * `/command/events`: the one command destination that takes subscribers. Each subscriber receives
 * a JSON MESSAGE for every broker event (destinations created and deleted, children added and
 * removed, clients connected and disconnected, subscribes and unsubscribes) from the moment it
 * attached. Events are a live feed: nothing is kept for later subscribers and nothing is redelivered.
 *
 * A subscriber that cannot keep up (its deliver() said "full", or its prefetch window is used up)
 * gets later events buffered, up to a bound; past it the subscription is cancelled with LIMIT, so
 * one stalled admin client never grows the broker's memory.
 */
import {
  ErrorCodes,
  WharfError,
  type BrokerEvent,
  type Consumer,
  type Destination,
  type DestinationStats,
  type Message,
  type QueueContext,
  type Subscription,
} from '@wharf/core';
import { commandPowers } from './powers.js';
import { VERBS } from './verbs.js';

export const DEFAULT_EVENT_BUFFER = 10_000;

export class EventsDestination implements Destination {
  readonly type = 'command';
  private readonly subscribers = new Set<EventSubscription>();
  private unlisten: (() => void) | undefined;
  /** Events raised while one is being handed out (a consumer reacting synchronously), in order. */
  private readonly queued: BrokerEvent[] = [];
  private dispatching = false;
  enqueued = 0;
  delivered = 0;
  dropped = 0;

  private readonly onEvents: (listener: (event: BrokerEvent) => void) => () => void;

  constructor(readonly name: string, private readonly ctx: QueueContext, readonly bufferLimit: number) {
    this.onEvents = commandPowers(ctx).onEvent;
  }

  /** Nothing can be sent here, in a transaction either. */
  prepare(): never {
    return this.publish();
  }

  /** Events are subscribed to, not sent. */
  publish(): never {
    throw new WharfError(ErrorCodes.BAD_COMMAND, `${this.name} is not a command: subscribe to it to receive broker events`, {
      hint: `valid commands: ${[...VERBS.keys()].join(', ')}`,
      details: { command: 'events', valid: [...VERBS.keys()] },
    });
  }

  attach(consumer: Consumer): Subscription {
    const subscription = new EventSubscription(this, consumer);
    this.subscribers.add(subscription);
    this.unlisten ??= this.onEvents((event) => this.onEvent(event));
    return subscription;
  }

  purge(): number {
    let removed = 0;
    for (const subscription of this.subscribers) removed += subscription.purge();
    this.dropped += removed;
    return removed;
  }

  stats(): DestinationStats {
    let depth = 0;
    let unacked = 0;
    for (const subscription of this.subscribers) {
      depth += subscription.buffered;
      unacked += subscription.unackedCount;
    }
    return { subscribers: this.subscribers.size, depth, unacked, enqueued: this.enqueued, delivered: this.delivered, dropped: this.dropped };
  }

  close(reason: WharfError): void {
    const subscriptions = [...this.subscribers];
    this.subscribers.clear();
    this.stopListening();
    for (const subscription of subscriptions) subscription.cancel(reason);
  }

  /** Called by a subscription that ended. */
  removeSubscriber(subscription: EventSubscription): void {
    if (this.subscribers.delete(subscription) && this.subscribers.size === 0) this.stopListening();
  }

  private stopListening(): void {
    this.unlisten?.();
    this.unlisten = undefined;
    this.queued.length = 0;
  }

  private onEvent(event: BrokerEvent): void {
    if (this.dispatching) {
      this.queued.push(event);
      return;
    }
    this.dispatching = true;
    try {
      let next: BrokerEvent | undefined = event;
      while (next !== undefined) {
        this.dispatch(next);
        next = this.queued.shift();
      }
    } finally {
      this.dispatching = false;
    }
  }

  private dispatch(event: BrokerEvent): void {
    if (this.subscribers.size === 0) return;
    this.enqueued++;
    // One message per event, shared by every subscriber: same id, same bytes.
    const message = this.ctx.createMessage(
      this.name,
      { 'content-type': 'application/json', 'event-type': event.type },
      Buffer.from(JSON.stringify({ ...event, timestamp: Date.now() })),
    );
    for (const subscription of [...this.subscribers]) subscription.offer(message);
  }
}

class EventSubscription implements Subscription {
  readonly destination: string;
  private tag = 0;
  private paused = false;
  private detached = false;
  /** Messages waiting for the consumer, oldest first from `head`. */
  private buffer: Message[] = [];
  private head = 0;
  /** Tags delivered and not yet acknowledged (client and client-individual modes), ascending. */
  private unacked: number[] = [];

  constructor(private readonly owner: EventsDestination, readonly consumer: Consumer) {
    this.destination = owner.name;
  }

  get buffered(): number {
    return this.buffer.length - this.head;
  }

  get unackedCount(): number {
    return this.unacked.length;
  }

  offer(message: Message): void {
    if (this.detached) return;
    if (this.paused || this.windowFull() || this.buffered > 0) {
      if (this.buffered >= this.owner.bufferLimit) {
        this.overflow();
        return;
      }
      this.buffer.push(message);
      return;
    }
    this.send(message);
  }

  ack(tag: number): void {
    this.settle(tag, 'ack');
  }

  /** Events are not redelivered: a nack only frees the window. */
  nack(tag: number): void {
    this.settle(tag, 'nack');
  }

  resume(): void {
    if (this.detached) return;
    this.paused = false;
    this.pump();
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.buffer = [];
    this.head = 0;
    this.unacked = [];
    this.owner.removeSubscriber(this);
  }

  /** The destination ends the subscription (deleted, broker stopping, buffer overflow). */
  cancel(reason: WharfError): void {
    this.detach();
    this.consumer.cancel(reason);
  }

  purge(): number {
    const removed = this.buffered;
    this.buffer = [];
    this.head = 0;
    return removed;
  }

  private settle(tag: number, kind: 'ack' | 'nack'): void {
    if (this.detached || this.consumer.ackMode === 'auto') return;
    const index = this.unacked.indexOf(tag);
    if (index < 0) {
      throw new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `no unacknowledged event with tag ${tag} on ${this.destination}`, {
        hint: `${kind} each delivery once, with the tag it came with`,
        details: { tag },
      });
    }
    // `client` is cumulative: every earlier delivery is settled with it.
    if (this.consumer.ackMode === 'client' && kind === 'ack') this.unacked.splice(0, index + 1);
    else this.unacked.splice(index, 1);
    this.pump();
  }

  private windowFull(): boolean {
    const { prefetch, ackMode } = this.consumer;
    return prefetch > 0 && ackMode !== 'auto' && this.unacked.length >= prefetch;
  }

  private pump(): void {
    while (!this.detached && !this.paused && this.buffered > 0 && !this.windowFull()) {
      const message = this.buffer[this.head]!;
      this.buffer[this.head++] = undefined as unknown as Message;
      if (this.head === this.buffer.length) {
        this.buffer = [];
        this.head = 0;
      } else if (this.head >= 1024 && this.head * 2 >= this.buffer.length) {
        this.buffer = this.buffer.slice(this.head);
        this.head = 0;
      }
      this.send(message);
    }
  }

  private send(message: Message): void {
    const tag = ++this.tag;
    if (this.consumer.ackMode !== 'auto') this.unacked.push(tag);
    this.owner.delivered++;
    if (!this.consumer.deliver({ message, tag, redelivered: false, deliveryCount: 1 })) this.paused = true;
  }

  private overflow(): void {
    const limit = this.owner.bufferLimit;
    this.owner.dropped += this.buffered + 1;
    this.cancel(new WharfError(ErrorCodes.LIMIT, `subscription ${this.consumer.id} fell more than ${limit} events behind on ${this.destination}`, {
      hint: `read events faster, or raise the command type's eventBufferLimit setting (now ${limit})`,
      details: { limit: 'eventBufferLimit', value: limit, destination: this.destination },
    }));
  }
}
