/** Broken: an ack in `client-individual` mode also acknowledges every earlier delivery. */
import type { Consumer } from '@wharf/core';
import { brokenQueue, consumerWith, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('individual-ack-acks-many', (name, settings, ctx) => new class extends WrappedDestination {
  override attach(consumer: Consumer) {
    return this.inner.attach(consumer.ackMode === 'client-individual' ? consumerWith(consumer, { ackMode: 'client' }) : consumer);
  }
}(realQueue(name, settings, ctx)));
