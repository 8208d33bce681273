/** Broken: applies a batch one operation at a time, so a failure half way leaves the first half applied. */
import type { StoreOp } from '@wharf/core';
import { brokenStore, WrappedStore } from '../support/store-variant.js';

export default brokenStore('not-atomic', () => new class extends WrappedStore {
  override async write(ops: readonly StoreOp[]) {
    for (const op of ops) await this.inner.write([op]);
  }
}());
