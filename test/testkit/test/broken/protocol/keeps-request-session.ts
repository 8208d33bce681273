/**
 * Broken (request/response): a request's session outlives its answer. Every publish and poll
 * leaves an open session behind (and a poll's subscription with it).
 * Caught by: "runs a request in a session of the user it names, and closes it once answered".
 */
import { definePlugin } from '@wharf/core';
import { HttpLiteAdapter } from './http-lite/adapter.js';

class KeepsRequestSession extends HttpLiteAdapter {
  override done(): void {
    // the session is never closed
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-keeps-request-session', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new KeepsRequestSession());
});
