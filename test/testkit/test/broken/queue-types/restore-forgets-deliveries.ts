/** Broken: takes restored messages back as never delivered, so a restart does not mark them redelivered. */
import type { StoredMessage } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('restore-forgets-deliveries', (name, settings, ctx) => new class extends WrappedDestination {
  override restore(stored: StoredMessage) {
    this.inner.restore?.({ ...stored, deliveryCount: 0 });
  }
}(realQueue(name, settings, ctx)));
