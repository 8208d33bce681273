/** Broken: replays a destination's messages newest first. */
import type { StoredMessage } from '@wharf/core';
import { brokenStore, collect, fromArray, WrappedStore } from '../support/store-variant.js';

export default brokenStore('replays-newest-first', () => new class extends WrappedStore {
  override replay(destination: string): AsyncIterable<StoredMessage> {
    const inner = this.inner;
    return (async function* () {
      yield* fromArray((await collect(inner.replay(destination))).reverse());
    })();
  }
}());
