/**
 * @wharf/queue-topic: the `topic` type of the original design, transient fan-out. A topic exists
 * while at least one subscriber is attached; every subscriber gets every message sent after it
 * attached; a slow subscriber has a bounded pending buffer and never holds up the others.
 */
import { definePlugin } from '@wharf/core';
import { TopicQueueType } from './topic-type.js';

export { TopicQueueType, type TopicQueueTypeOptions } from './topic-type.js';
export { Topic } from './topic.js';
export {
  topicSettingsSchema,
  readTopicSettings,
  DEFAULT_MAX_PENDING_BYTES,
  DEFAULT_MAX_PENDING_MESSAGES,
  type TopicSettings,
  type SlowSubscriberPolicy,
} from './settings.js';

export default definePlugin(
  {
    kind: 'queue-type',
    name: 'queue-topic',
    core: '^0.1.0',
    description: 'topic: transient fan-out; every subscriber gets every message sent while it is attached',
  },
  (ctx) => ctx.queueType(new TopicQueueType()),
);
