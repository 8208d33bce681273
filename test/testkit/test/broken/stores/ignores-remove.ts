/** Broken: acknowledged messages are never forgotten (they would all come back after a restart). */
import type { StoreOp } from '@wharf/core';
import { brokenStore, WrappedStore } from '../support/store-variant.js';

export default brokenStore('ignores-remove', () => new class extends WrappedStore {
  override write(ops: readonly StoreOp[]) {
    return this.inner.write(ops.filter((op) => op.op !== 'remove'));
  }
}());
