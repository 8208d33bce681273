/** Broken: redeliveries look like first deliveries (redelivered false, delivery count 1). */
import type { Consumer, Delivery } from '@wharf/core';
import { brokenQueue, consumerWith, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('no-redelivered-flag', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    return this.inner.attach(consumerWith(consumer, { deliver: (d: Delivery) => consumer.deliver({ ...d, redelivered: false, deliveryCount: 1 }) }));
  }
}(realQueue(name, settings, ctx)));
