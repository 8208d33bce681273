/** Broken: the messages the store kept come back newest first after a restart. */
import type { Consumer, Message, StoredMessage } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('restore-reorders', (name, settings, ctx) => new class extends WrappedDestination {
  private restored: StoredMessage[] = [];

  override restore(stored: StoredMessage) {
    this.restored.unshift(stored);
  }

  private takeRestored(): void {
    for (const stored of this.restored.splice(0)) this.inner.restore?.(stored);
  }

  override attach(consumer: Consumer) {
    this.takeRestored();
    return this.inner.attach(consumer);
  }

  override publish(message: Message) {
    this.takeRestored();
    return this.inner.publish(message);
  }
}(realQueue(name, settings, ctx)));
