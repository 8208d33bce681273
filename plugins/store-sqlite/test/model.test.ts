/**
 * The sqlite store against a model of the Store contract, on random histories: batches of appends
 * (known ids among them), delivery marks, removals (unknown ids among them) and purges over three
 * destinations, with restarts in between. After every batch and every restart each destination
 * replays exactly what the model holds: the same messages, in order, with their delivery counts.
 * This is what exercises the segment bookkeeping's corners together — segments split by size,
 * removed slots of a segment still being appended to, bitmaps, rewrites of mostly empty segments,
 * range deletes, the index rebuilt at setup.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import fc from 'fast-check';
import type { Message, StoreOp } from '@wharf/core';
import { replayAll, storeMessage } from '@wharf/testkit';
import { SqliteStore } from '../src/index.js';
import { SEGMENT_BYTES } from '../src/schema.js';

const DESTINATIONS = ['/queue/a', '/queue/b', '/queue/c'];
/** A body large enough that a few of them close a segment. */
const LARGE = Buffer.alloc(SEGMENT_BYTES / 3, 'L');

type Step = { kind: 'batch'; ops: StoreOp[] } | { kind: 'restart' };

const destination = fc.constantFrom(...DESTINATIONS);
const id = fc.integer({ min: 0, max: 40 });
const message = fc.record({
  n: id,
  large: fc.integer({ min: 0, max: 9 }).map((x) => x === 0),
  copy: fc.boolean(),
  headers: fc.boolean(),
}).map(({ n, large, copy, headers }): Message => storeMessage(n, {
  body: large ? LARGE : Buffer.from(`body-${n}`),
  ...(copy ? { destination: '/pubsub/p' } : {}),
  ...(headers ? {} : { headers: {} }),
}));
const op: fc.Arbitrary<StoreOp> = fc.oneof(
  { weight: 5, arbitrary: fc.tuple(destination, message).map(([d, m]): StoreOp => ({ op: 'append', destination: d, message: m })) },
  { weight: 4, arbitrary: fc.tuple(destination, id).map(([d, n]): StoreOp => ({ op: 'remove', destination: d, id: `msg-${n}` })) },
  { weight: 2, arbitrary: fc.tuple(destination, id).map(([d, n]): StoreOp => ({ op: 'delivered', destination: d, id: `msg-${n}` })) },
  { weight: 1, arbitrary: destination.map((d): StoreOp => ({ op: 'purge', destination: d })) },
);
/** Runs of appends to one destination and sweeping removals: segments big enough to be rewritten when mostly emptied. */
const appendRun = fc.tuple(destination, id, fc.integer({ min: 8, max: 30 }), message).map(([d, from, count, template]): StoreOp[] =>
  Array.from({ length: count }, (_, i) => ({ op: 'append', destination: d, message: { ...template, id: `msg-${(from + i) % 41}` } })));
const sweep = fc.tuple(destination, fc.uniqueArray(id, { minLength: 10, maxLength: 41 })).map(([d, ids]): StoreOp[] =>
  ids.map((n) => ({ op: 'remove', destination: d, id: `msg-${n}` })));
const ops = fc.array(fc.oneof(
  { weight: 8, arbitrary: op.map((o) => [o]) },
  { weight: 1, arbitrary: appendRun },
  { weight: 1, arbitrary: sweep },
), { minLength: 1, maxLength: 30 }).map((groups) => groups.flat());
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: ops.map((o): Step => ({ kind: 'batch', ops: o })) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restart' }) },
);

/** The contract's meaning of a batch, on plain arrays. */
class Model {
  private readonly queues = new Map<string, Array<{ message: Message; deliveryCount: number }>>();

  apply(ops: readonly StoreOp[]): void {
    for (const o of ops) {
      if (o.op === 'append') {
        const queue = this.queue(o.destination);
        if (!queue.some((s) => s.message.id === o.message.id)) queue.push({ message: o.message, deliveryCount: 0 });
      } else if (o.op === 'delivered') {
        const stored = this.queue(o.destination).find((s) => s.message.id === o.id);
        if (stored) stored.deliveryCount++;
      } else if (o.op === 'remove') {
        const queue = this.queue(o.destination);
        const at = queue.findIndex((s) => s.message.id === o.id);
        if (at >= 0) queue.splice(at, 1);
      } else if (o.op === 'purge') {
        this.queues.set(o.destination, []);
      }
    }
  }

  view(destination: string): unknown[] {
    return this.queue(destination).map((s) => summary(s.message, s.deliveryCount));
  }

  private queue(destination: string): Array<{ message: Message; deliveryCount: number }> {
    let queue = this.queues.get(destination);
    if (!queue) this.queues.set(destination, (queue = []));
    return queue;
  }
}

/** What must come back of a stored message. */
function summary(m: Message, deliveryCount: number): unknown {
  const body = Buffer.from(m.body);
  return [m.id, m.destination, m.headers, body.length, body.subarray(0, 8).toString(), m.persistent, m.timestamp, deliveryCount];
}

describe('sqlite store: random histories against a model of the contract', () => {
  it('replays what the model holds after every batch and every restart', async function () {
    this.timeout(120_000);
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 14 }), async (steps) => {
      const dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-model-'));
      let store = new SqliteStore({ path: join(dir, 'wharf.db') });
      try {
        await store.setup();
        const model = new Model();
        for (const s of steps) {
          if (s.kind === 'restart') {
            await store.close();
            store = new SqliteStore({ path: join(dir, 'wharf.db') });
            await store.setup();
          } else {
            await store.write(s.ops);
            model.apply(s.ops);
          }
          for (const d of DESTINATIONS) {
            const replayed = (await replayAll(store, d)).map((r) => summary(r.message, r.deliveryCount));
            expect(replayed, `${d} after ${s.kind}`).to.deep.equal(model.view(d));
          }
        }
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }), { numRuns: 80 });
  });
});
