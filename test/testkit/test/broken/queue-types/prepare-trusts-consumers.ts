/**
 * Broken (queue-queue's own bug, fixed): Destination.prepare takes every message of a transaction
 * as handed to a ready consumer at once, so it accepts anything while someone is subscribed. A
 * consumer whose deliver() answers false after the first (a full socket) takes no more; the queue
 * fills, and publish refuses a message half way through the COMMIT.
 */
import type { Message, SessionInfo } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('prepare-trusts-consumers', (name, settings, ctx) => new class extends WrappedDestination {
  override prepare(messages: readonly Message[], origin?: SessionInfo) {
    if (this.inner.stats().subscribers > 0) return;
    this.inner.prepare?.(messages, origin);
  }
}(realQueue(name, settings, ctx)));
