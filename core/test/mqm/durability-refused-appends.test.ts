/**
 * The durability service (durability.ts) on a store that refuses every batch with appends, as a
 * full disk does (docs/durability.md, "When the store fails"): what a failed batch leaves —
 * acknowledgements, delivery horizons — commits on its own, however often new appends are refused.
 */
import { expect } from 'chai';
import { createLogger, ErrorCodes, WharfError, type Message, type Store, type StoreOp } from '../../src/index.js';
import { Durability } from '../../src/mqm/durability.js';

/** Commits batches without appends; refuses (and applies nothing of) every batch with one. */
class AppendRefusingStore implements Store {
  readonly name = 'refuses-appends';
  readonly committed: StoreOp[][] = [];
  async setup(): Promise<void> {}
  async write(ops: readonly StoreOp[]): Promise<void> {
    if (ops.some((op) => op.op === 'append')) throw new WharfError(ErrorCodes.STORE, 'the disk is full', { hint: 'free space' });
    this.committed.push([...ops]);
  }
  async destinations(): Promise<[]> {
    return [];
  }
  async *replay(): AsyncIterable<never> {}
  async close(): Promise<void> {}
}

const message = (id: string): Message => ({ id, destination: '/queue/q', headers: {}, body: new Uint8Array(4), persistent: true, timestamp: 0 });
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('durability: appends refused batch after batch (a full disk)', () => {
  for (const groupCommit of [true, false]) {
    it(`commits the acknowledgements and horizons a refused batch carried, while a producer keeps sending (groupCommit: ${groupCommit})`, async () => {
      const store = new AppendRefusingStore();
      const durability = new Durability(store, createLogger('silent'), { groupCommit, retryDelayMs: 1, maxRetryDelayMs: 1 });
      const log = durability.logFor('/queue/q', 'queue');
      const refused: unknown[] = [];
      const send = (n: number): void => void log.append(message(`m${n}`)).catch((err: unknown) => refused.push(err));
      send(0);
      let acked = false;
      let horizon = false;
      void log.remove('old').then(() => (acked = true));
      void durability.writeHorizon('/queue/q', 'h').then(() => (horizon = true));
      for (let n = 1; n <= 50 && !(acked && horizon); n++) {
        send(n); // a producer that never stops: every batch brings appends
        await turn();
      }
      expect(acked, 'the acknowledgement committed').to.equal(true);
      expect(horizon, 'the horizon committed').to.equal(true);
      expect(refused.length, 'appends were refused all along').to.be.greaterThan(0);
      const ops = store.committed.flat();
      expect(ops.some((op) => op.op === 'remove' && op.id === 'old')).to.equal(true);
      expect(ops.some((op) => op.op === 'append'), 'no append ever committed').to.equal(false);
      await durability.close();
    });
  }
});
