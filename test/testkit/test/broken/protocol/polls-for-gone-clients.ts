/**
 * Broken (request/response): a long poll whose client went away keeps waiting. Its session and
 * subscription stay until the wait is over, and the next message goes to a poll nobody reads.
 * Caught by: "a long poll whose client goes away closes its session and takes no message".
 */
import { definePlugin } from '@wharf/core';
import { HttpLiteAdapter } from './http-lite/adapter.js';

class PollsForGoneClients extends HttpLiteAdapter {
  override clientLeft(): void {
    // the poll waits on; its answer goes nowhere
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-polls-for-gone-clients', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new PollsForGoneClients());
});
