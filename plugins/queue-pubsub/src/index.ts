/**
 * @wharf/queue-pubsub: the `pubsub` queue type. Every message sent to a pubsub is copied into each
 * of its children; clients subscribe to the children, never to the pubsub itself.
 */
import { definePlugin } from '@wharf/core';
import { pubsubQueueType } from './pubsub.js';

export { PubsubDestination, pubsubQueueType, pubsubSettingsSchema, type PubsubSettings } from './pubsub.js';

export default definePlugin(
  {
    kind: 'queue-type',
    name: 'queue-pubsub',
    core: '^0.1.0',
    description: 'pubsub: replicates every message into its child destinations; refuses subscribers',
  },
  (ctx) => ctx.queueType(pubsubQueueType),
);
