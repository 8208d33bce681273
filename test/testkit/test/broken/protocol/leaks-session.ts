/**
 * Broken: leaks a session on disconnect. When the client's stream closes it forgets the connection
 * but never closes the broker session, so the session, its subscriptions and their unacknowledged
 * messages stay behind.
 * Caught by: "a closed client's session leaves the broker, which keeps serving".
 */
import { definePlugin } from '@wharf/core';
import { LineAdapter, type LineConnection } from './line/adapter.js';

class LeaksSession extends LineAdapter {
  override gone(connection: LineConnection): void {
    connection.closed = true;
    this.connections.delete(connection);
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-leaks-session', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new LeaksSession());
});
