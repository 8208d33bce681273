/** Broken: an ack in `client` mode acknowledges only the delivery it names (not the earlier ones). */
import type { Consumer } from '@wharf/core';
import { brokenQueue, consumerWith, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('client-ack-not-cumulative', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    return this.inner.attach(consumer.ackMode === 'client' ? consumerWith(consumer, { ackMode: 'client-individual' }) : consumer);
  }
}(realQueue(name, settings, ctx)));
