/** Broken: hands out messages as if every consumer had no prefetch limit. */
import type { Consumer } from '@wharf/core';
import { brokenQueue, consumerWith, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('ignores-prefetch', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    return this.inner.attach(consumerWith(consumer, { prefetch: 0 }));
  }
}(realQueue(name, settings, ctx)));
