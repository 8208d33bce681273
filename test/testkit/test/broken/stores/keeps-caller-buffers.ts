/** Broken: keeps the message it was handed, not a copy: what the caller does to its buffer later changes what is replayed. */
import type { Message, StoreOp, StoredMessage } from '@wharf/core';
import { brokenStore, collect, WrappedStore } from '../support/store-variant.js';

export default brokenStore('keeps-caller-buffers', () => new class extends WrappedStore {
  private readonly given = new Map<string, Message>();

  override write(ops: readonly StoreOp[]) {
    for (const op of ops) if (op.op === 'append' && !this.given.has(`${op.destination}\n${op.message.id}`)) this.given.set(`${op.destination}\n${op.message.id}`, op.message);
    return this.inner.write(ops);
  }

  override replay(destination: string): AsyncIterable<StoredMessage> {
    const { inner, given } = this;
    return (async function* () {
      for (const stored of await collect(inner.replay(destination))) {
        yield { ...stored, message: given.get(`${destination}\n${stored.message.id}`) ?? stored.message };
      }
    })();
  }
}());
