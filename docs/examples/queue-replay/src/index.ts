/**
 * A custom queue type in its own package: `replay`, a topic that keeps its last `history`
 * messages and replays them to every new subscriber (handy for "latest prices", "recent chat").
 * It imports only from @wharf/core, and is loaded by a config entry that names this folder.
 */
import { definePlugin } from '@wharf/core';
import { ReplayQueueType } from './replay-topic.js';

export default definePlugin({
  kind: 'queue-type',
  name: 'queue-replay',
  core: '^0.1.0',
  description: 'a topic that replays its recent history to new subscribers',
}, (ctx) => {
  ctx.queueType(new ReplayQueueType());
});
