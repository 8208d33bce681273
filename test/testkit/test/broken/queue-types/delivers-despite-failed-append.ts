/**
 * Broken: a persistent message is queued (and delivered) at once while its store write goes on
 * beside it; when the store refuses it the sender is told, but the message was delivered anyway.
 */
import type { Message } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('delivers-despite-failed-append', (name, settings, ctx) => new class extends WrappedDestination {
  override publish(message: Message) {
    if (!message.persistent || ctx.durable === undefined) return this.inner.publish(message);
    const stored = ctx.durable.append(message);
    void this.inner.publish({ ...message, persistent: false });
    return stored;
  }
}(realQueue(name, settings, ctx)));
