/**
 * A store against a model of the Store contract, on random histories (fast-check): batches of
 * appends (known ids among them), delivery marks, removals (unknown ids among them) and purges over
 * three destinations, with restarts in between. After every batch and every restart each
 * destination must replay exactly what the model holds: the same messages, every field, in order,
 * with their delivery counts. Runs of appends and sweeping removals build up and empty large
 * stretches of a destination, and some bodies are large, so that a store's own structures (pages,
 * segments, indexes) fill, split and shrink along the way. Used by describeStore().
 */
import fc from 'fast-check';
import { expect } from 'chai';
import type { Message, Store, StoreOp } from '@wharf/core';
import { replayAll, storeMessage } from './store-helpers.js';

const DESTINATIONS = ['/queue/a', '/queue/b', '/queue/c'];
/** Ids are drawn from a small pool, so that appends of known ids and removals of absent ones happen. */
const IDS = 41;
/** A body a few of which fill a store's page or segment (one append in ten carries it). */
const LARGE = Buffer.alloc(96 * 1024, 'L');

type Step = { readonly kind: 'batch'; readonly ops: StoreOp[] } | { readonly kind: 'restart' };

const destination = fc.constantFrom(...DESTINATIONS);
const id = fc.integer({ min: 0, max: IDS - 1 });
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
const appendRun = fc.tuple(destination, id, fc.integer({ min: 8, max: 30 }), message).map(([d, from, count, template]): StoreOp[] =>
  Array.from({ length: count }, (_, i) => ({ op: 'append', destination: d, message: { ...template, id: `msg-${(from + i) % IDS}` } })));
const sweep = fc.tuple(destination, fc.uniqueArray(id, { minLength: 10, maxLength: IDS })).map(([d, ids]): StoreOp[] =>
  ids.map((n) => ({ op: 'remove', destination: d, id: `msg-${n}` })));
const batch = fc.array(fc.oneof(
  { weight: 8, arbitrary: op.map((o) => [o]) },
  { weight: 1, arbitrary: appendRun },
  { weight: 1, arbitrary: sweep },
), { minLength: 1, maxLength: 30 }).map((groups): Step => ({ kind: 'batch', ops: groups.flat() }));
const history = fc.array(fc.oneof(
  { weight: 6, arbitrary: batch },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restart' }) },
), { minLength: 1, maxLength: 14 });

/** What the contract says a store holds, on plain arrays. */
class StoreModel {
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

/**
 * Checks `runs` random histories. `open(dir)` opens (setup included) the store kept in `dir`,
 * again after a restart; `fresh()` gives a new empty folder and `discard(dir)` removes it.
 */
export async function checkStoreHistories(
  open: (dir: string) => Promise<Store>, fresh: () => string, discard: (dir: string) => void, runs: number,
): Promise<void> {
  await fc.assert(fc.asyncProperty(history, async (steps) => {
    const dir = fresh();
    let store = await open(dir);
    try {
      const model = new StoreModel();
      for (const step of steps) {
        if (step.kind === 'restart') {
          await store.close();
          store = await open(dir);
        } else {
          await store.write(step.ops);
          model.apply(step.ops);
        }
        for (const d of DESTINATIONS) {
          const replayed = (await replayAll(store, d)).map((r) => summary(r.message, r.deliveryCount));
          expect(replayed, `${d} after ${step.kind}`).to.deep.equal(model.view(d));
        }
      }
    } finally {
      await store.close();
      discard(dir);
    }
  }), { numRuns: runs });
}
