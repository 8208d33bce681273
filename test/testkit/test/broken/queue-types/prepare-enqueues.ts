/**
 * Broken: Destination.prepare checks a transaction's messages by publishing them, so they are
 * queued (and delivered) at validation, and again when the COMMIT applies them.
 */
import type { Message, SessionInfo } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('prepare-enqueues', (name, settings, ctx) => new class extends WrappedDestination {
  override prepare(messages: readonly Message[], origin?: SessionInfo) {
    for (const message of messages) void this.inner.publish(message, origin);
  }
}(realQueue(name, settings, ctx)));
