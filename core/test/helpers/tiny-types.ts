/** Minimal queue types for core's own tests, so they depend on no queue-type plugin. */
import {
  definePlugin, ErrorCodes, WharfError,
  type Consumer, type Destination, type Message, type QueueContext, type QueueType, type Subscription,
} from '../../src/index.js';

/** Keeps every message; hands each to every attached consumer. Not transient. */
export class RecordingDestination implements Destination {
  readonly type: string;
  readonly messages: Message[] = [];
  readonly consumers = new Set<Consumer>();
  closedWith: WharfError | undefined;
  constructor(readonly name: string, type: string, readonly settings: Record<string, unknown>, readonly ctx: QueueContext) {
    this.type = type;
  }
  publish(message: Message): void {
    this.messages.push(message);
    let tag = 0;
    for (const c of this.consumers) c.deliver({ message, tag: ++tag, redelivered: false, deliveryCount: 1 });
  }
  attach(consumer: Consumer): Subscription {
    this.consumers.add(consumer);
    const acks: number[] = [];
    return {
      destination: this.name, consumer,
      ack: (tag) => void acks.push(tag),
      nack: (tag) => void acks.push(-tag),
      resume: () => undefined,
      detach: () => void this.consumers.delete(consumer),
      acks,
    } as Subscription & { acks: number[] };
  }
  purge(): number {
    return this.messages.splice(0).length;
  }
  stats() {
    return { subscribers: this.consumers.size, depth: this.messages.length, unacked: 0, enqueued: this.messages.length, delivered: 0, dropped: 0 };
  }
  close(reason: WharfError): void {
    this.closedWith = reason;
    for (const c of this.consumers) c.cancel(reason);
  }
}

export function recordingType(type: string, extra: Partial<QueueType> = {}): QueueType {
  return { type, create: (name, settings, ctx) => new RecordingDestination(name, type, settings, ctx), ...extra };
}

/** A plugin providing `queue`, `pubsub`-less `topic` (transient) and `command`-like `admin` types. */
export const tinyTypesPlugin = definePlugin({ kind: 'queue-type', name: 'tiny-types', core: '^0.1.0' }, (ctx) => {
  ctx.queueType(recordingType('queue'));
  ctx.queueType(recordingType('topic', { transient: true }));
  ctx.queueType(recordingType('command', { rights: { publish: 'admin', attach: 'admin', create: 'admin' } }));
  ctx.queueType(recordingType('pubsub'));
});

export { ErrorCodes };
