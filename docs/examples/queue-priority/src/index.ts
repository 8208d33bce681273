/**
 * @wharf-examples/queue-priority: a custom queue type in its own package, loaded by a config
 * entry that names its folder (or, once published, its package name). It imports only
 * @wharf/core's public exports, and passes @wharf/testkit's describeQueueType suite.
 */
// #region plugin
import { definePlugin } from '@wharf/core';
import { PriorityQueueType } from './priority-queue-type.js';

export { PriorityQueueType } from './priority-queue-type.js';
export { prioritySettingsSchema, type PrioritySettings, type OverflowPolicy } from './settings.js';

export default definePlugin({
  kind: 'queue-type',
  name: 'queue-priority',   // unique among loaded plugins; errors name it
  core: '^0.1.0',           // the @wharf/core versions this plugin supports: checked at load
  description: 'priority: a queue that delivers higher priorities first (0-9), FIFO within one, with acks and redelivery',
}, (ctx) => {
  ctx.queueType(new PriorityQueueType());
});
// #endregion plugin
