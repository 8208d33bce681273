/** Broken: a NACKed message is dropped (acknowledged) instead of redelivered. */
import type { Consumer } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination, WrappedSubscription } from '../support/queue-variant.js';

export default brokenQueue('nack-drops', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    return new class extends WrappedSubscription {
      override nack(tag: number) {
        void this.inner.ack(tag);
      }
    }(this.inner.attach(consumer));
  }
}(realQueue(name, settings, ctx)));
