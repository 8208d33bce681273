/**
 * Broken (request/response): a poll takes more than it answers with. It subscribes in `auto` mode
 * with no prefetch, so the queue hands it every message it holds; the answer carries `max` and the
 * rest are gone.
 * Caught by: "queue: a poll takes the held messages in order, at most max; the rest wait for the next poll".
 */
import { definePlugin, type AckMode } from '@wharf/core';
import { HttpLiteAdapter } from './http-lite/adapter.js';

class GreedyPoll extends HttpLiteAdapter {
  override consumerMode(): { ackMode: AckMode; prefetch: number } {
    return { ackMode: 'auto', prefetch: 0 };
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-greedy-poll', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new GreedyPoll());
});
