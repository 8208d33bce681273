/** Broken: a purge forgets the destination record along with the messages. */
import type { StoreOp } from '@wharf/core';
import { brokenStore, WrappedStore } from '../support/store-variant.js';

export default brokenStore('purge-drops-record', () => new class extends WrappedStore {
  override write(ops: readonly StoreOp[]) {
    return this.inner.write(ops.map((op): StoreOp => (op.op === 'purge' ? { op: 'delete-destination', name: op.destination } : op)));
  }
}());
