/** Broken: replays every message as never delivered (a restart would not mark them redelivered). */
import type { StoredMessage } from '@wharf/core';
import { brokenStore, collect, WrappedStore } from '../support/store-variant.js';

export default brokenStore('forgets-delivery-counts', () => new class extends WrappedStore {
  override replay(destination: string): AsyncIterable<StoredMessage> {
    const inner = this.inner;
    return (async function* () {
      for (const stored of await collect(inner.replay(destination))) yield { ...stored, deliveryCount: 0 };
    })();
  }
}());
