/**
 * Building blocks for the deliberately broken queue types: each variant is the real queue-queue or
 * queue-topic with one bug put in, by wrapping the destination, its subscriptions or the consumers
 * it is handed. The variants are plugins under the real type names (`queue`, `topic`), so the
 * suites run them with the real types' profiles.
 */
import {
  definePlugin,
  type Consumer, type Destination, type DestinationStats, type Message, type PluginDefinition,
  type QueueContext, type SessionInfo, type Settlement, type StoredMessage, type Subscription, type WharfError,
} from '@wharf/core';
import { MessageQueue, queueSettingsSchema, readQueueSettings } from '@wharf/queue-queue';
import { Topic, readTopicSettings, topicSettingsSchema } from '@wharf/queue-topic';

type Make = (name: string, settings: Record<string, unknown>, ctx: QueueContext) => Destination;

/** A plugin providing a broken `queue` type. */
export function brokenQueue(bug: string, make: Make): PluginDefinition<never> {
  return definePlugin({ kind: 'queue-type', name: `broken-queue-${bug}`, core: '^0.1.0', description: `queue with a bug: ${bug}` },
    (ctx) => ctx.queueType({ type: 'queue', transient: false, settingsSchema: queueSettingsSchema, create: make })) as PluginDefinition<never>;
}

/** A plugin providing a broken `topic` type. */
export function brokenTopic(bug: string, make: Make): PluginDefinition<never> {
  return definePlugin({ kind: 'queue-type', name: `broken-topic-${bug}`, core: '^0.1.0', description: `topic with a bug: ${bug}` },
    (ctx) => ctx.queueType({ type: 'topic', transient: true, settingsSchema: topicSettingsSchema, create: make })) as PluginDefinition<never>;
}

export const realQueue: Make = (name, settings, ctx) => new MessageQueue(name, 'queue', readQueueSettings(name, settings), ctx);
export const realTopic: Make = (name, settings, ctx) => new Topic(name, 'topic', readTopicSettings(name, settings), ctx);

/** The consumer as the destination sees it, with some of its properties replaced. */
export function consumerWith(consumer: Consumer, overrides: Partial<Pick<Consumer, 'ackMode' | 'prefetch'>> & { deliver?: Consumer['deliver'] }): Consumer {
  return new Proxy(consumer, {
    get: (target, key) => (key in overrides ? (overrides as Record<string | symbol, unknown>)[key] : Reflect.get(target, key)),
  });
}

/** A destination that forwards everything to another; variants override what they break. */
export class WrappedDestination implements Destination {
  constructor(protected readonly inner: Destination) {}

  get name(): string {
    return this.inner.name;
  }

  get type(): string {
    return this.inner.type;
  }

  publish(message: Message, origin?: SessionInfo): void | Promise<void> {
    return this.inner.publish(message, origin);
  }

  prepare(messages: readonly Message[], origin?: SessionInfo): void {
    this.inner.prepare?.(messages, origin);
  }

  attach(consumer: Consumer): Subscription {
    return this.inner.attach(consumer);
  }

  purge(): number {
    return this.inner.purge();
  }

  stats(): DestinationStats {
    return this.inner.stats();
  }

  close(reason: WharfError): void | Promise<void> {
    return this.inner.close(reason);
  }

  restore(stored: StoredMessage): void {
    this.inner.restore?.(stored);
  }
}

/** A subscription that forwards everything to another; variants override what they break. */
export class WrappedSubscription implements Subscription {
  constructor(protected readonly inner: Subscription) {}

  get destination(): string {
    return this.inner.destination;
  }

  get consumer(): Consumer {
    return this.inner.consumer;
  }

  ack(tag: number): void | Promise<void> {
    return this.inner.ack(tag);
  }

  nack(tag: number): void {
    this.inner.nack(tag);
  }

  prepare(settlements: readonly Settlement[]): void {
    this.inner.prepare?.(settlements);
  }

  resume(): void {
    this.inner.resume();
  }

  detach(): void {
    this.inner.detach();
  }
}
