/**
 * @wharf/queue-queue: the `queue` type of the original design. Messages are held until someone
 * subscribes; the first subscriber receives the held ones, oldest first; several subscribers share
 * messages round-robin, each message going to exactly one of them. Unacknowledged messages come
 * back to the head of the queue on NACK, unsubscribe or disconnect and are redelivered.
 */
import { definePlugin } from '@wharf/core';
import { QueueQueueType } from './queue-type.js';

export { QueueQueueType, type QueueQueueTypeOptions } from './queue-type.js';
export { MessageQueue } from './queue.js';
export { queueSettingsSchema, readQueueSettings, type QueueSettings, type OverflowPolicy } from './settings.js';

export default definePlugin(
  {
    kind: 'queue-type',
    name: 'queue-queue',
    core: '^0.1.0',
    description: 'queue: holds messages until a subscriber takes them; round-robin, one subscriber per message, acks and redelivery',
  },
  (ctx) => ctx.queueType(new QueueQueueType()),
);
