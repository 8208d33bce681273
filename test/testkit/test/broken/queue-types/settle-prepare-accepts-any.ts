/**
 * Broken: Subscription.prepare accepts every ACK and NACK, unknown tags too, so a COMMIT whose
 * last ACK names no delivery applies the ACKs before it and then fails (half applied).
 */
import type { Consumer } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination, WrappedSubscription } from '../support/queue-variant.js';

export default brokenQueue('settle-prepare-accepts-any', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    return new class extends WrappedSubscription {
      override prepare() {}
    }(this.inner.attach(consumer));
  }
}(realQueue(name, settings, ctx)));
