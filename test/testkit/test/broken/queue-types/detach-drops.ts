/** Broken: a subscriber that leaves (unsubscribe, disconnect) takes its unacknowledged messages with it. */
import type { Consumer, Delivery } from '@wharf/core';
import { brokenQueue, consumerWith, realQueue, WrappedDestination, WrappedSubscription } from '../support/queue-variant.js';

export default brokenQueue('detach-drops', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    const tags: number[] = [];
    const recording = consumerWith(consumer, { deliver: (d: Delivery) => { tags.push(d.tag); return consumer.deliver(d); } });
    return new class extends WrappedSubscription {
      override detach() {
        for (const tag of tags) {
          try {
            void this.inner.ack(tag);
          } catch {
            // acknowledged already
          }
        }
        this.inner.detach();
      }
    }(this.inner.attach(recording));
  }
}(realQueue(name, settings, ctx)));
