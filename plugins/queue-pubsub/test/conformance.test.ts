/**
 * A pubsub's children are queues and topics fed through it: each passes its own type's conformance
 * suite with every message sent to a pubsub whose only child it is (a pubsub has no subscribers of
 * its own, so the suite cannot run on it directly). That checks the copies: order, durability
 * (persistent copies stored, restored after a restart with the pubsub), and flow control reaching
 * through the pubsub to its producers.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { AdminApi } from '@wharf/core';
import { describeQueueType, loadConformanceProfile } from '@wharf/testkit';
import queuePlugin from '@wharf/queue-queue';
import topicPlugin from '@wharf/queue-topic';
import pubsubPlugin from '../src/index.js';

// The child types' own conformance profiles (package.json wharf.conformance).
const profileOf = (name: string) => loadConformanceProfile(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)));
const queueProfile = await profileOf('@wharf/queue-queue');
const topicProfile = await profileOf('@wharf/queue-topic');

const feed = (destination: string): string => `/feed${destination}`;
const prepare = (admin: AdminApi, destination: string): void => {
  admin.createDestination(feed(destination), 'pubsub');
  admin.addChild(feed(destination), destination);
};

describeQueueType('queue, fed through a pubsub', {
  holdsMessages: true,
  ...queueProfile.queueTypes?.['queue'],
  plugins: [queuePlugin, pubsubPlugin],
  type: 'queue',
  destination: (i) => `/queue/pubsub-child-${i}`,
  prepare,
  sendTo: feed,
});

describeQueueType('topic, fed through a pubsub', {
  holdsMessages: false,
  ...topicProfile.queueTypes?.['topic'],
  plugins: [topicPlugin, pubsubPlugin],
  type: 'topic',
  destination: (i) => `/topic/pubsub-child-${i}`,
  prepare,
  sendTo: feed,
});
