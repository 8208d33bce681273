/**
 * The conformance suite every durable store passes, first-party or not: append and replay in
 * order with every field intact, delivery counts, remove on ack, reopen after close (a restart),
 * batches spanning destinations (a pubsub's copies), batches applied in order and atomically (a
 * failure half way leaves nothing), purge (empty), destination records and their deletion, random
 * histories of batches and restarts against a model of the contract (store-history.ts), and, for
 * stores that outlive the process, a kill -9 in the middle of writing.
 *
 *   describeStore('sqlite', {
 *     create: (dir) => new SqliteStore({ path: join(dir, 'wharf.db') }),
 *     childModule: fileURLToPath(new URL('./child-store.js', import.meta.url)),
 *   });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import type { Message, Store, StoreOp, StoredMessage } from '@wharf/core';
import { replayAll, storeMessage } from './store-helpers.js';
import { checkStoreHistories } from './store-history.js';
import { checkCrashRecovery } from './store-crash.js';

/** What the suite hands `create` besides the folder. */
export interface StoreSetup {
  /**
   * Given by runConformance: loads the plugin under test as the broker does, with these plugin
   * `options` (relative paths taken from `configDir`), and returns the store it registered.
   */
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Store>;
}

export interface StoreSuiteOptions {
  /**
   * A store kept in `dir` (a fresh temporary folder per test). Called again with the same folder
   * after close() to reopen it: that is a restart, and what was written must be there. A store
   * that lives in the process (memory) returns the same instance for the same folder.
   */
  create(dir: string, setup: StoreSetup): Store | Promise<Store>;
  /**
   * A module (a path) exporting `createStore(dir)`, which does what `create` does, for the crash
   * test: a child process writes batches and is killed with SIGKILL in the middle, then the store
   * is reopened here. Leave it out for stores that live inside the process (memory).
   */
  readonly childModule?: string;
  /** Rounds of kill -9 in the crash test (default 3). */
  readonly crashRounds?: number;
  /** Random histories checked against the contract's model (default 60). */
  readonly historyRuns?: number;
}

let counter = 0;

const append = (destination: string, message: Message): StoreOp => ({ op: 'append', destination, message });
const ids = (list: readonly StoredMessage[]): string[] => list.map((s) => s.message.id);

/** Registers a mocha `describe` block that checks a store against the Store contract. */
export function describeStore(name: string, options: StoreSuiteOptions, setup: StoreSetup = {}): void {
  describe(`store conformance: ${name}`, () => {
    let dir: string;
    let opened: Store[] = [];

    const open = async (): Promise<Store> => {
      const store = await options.create(dir, setup);
      await store.setup();
      opened.push(store);
      return store;
    };
    /** Closes the store and opens it again from the same folder. */
    const reopen = async (store: Store): Promise<Store> => {
      await store.close();
      opened = opened.filter((s) => s !== store);
      return open();
    };

    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), `wharf-store-${process.pid}-${++counter}-`));
      opened = [];
    });

    afterEach(async () => {
      for (const store of opened) await store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('starts empty', async () => {
      const store = await open();
      expect(await store.destinations()).to.deep.equal([]);
      expect(await replayAll(store, '/queue/none')).to.deep.equal([]);
      await store.write([]);
    });

    it('replays the messages of a destination in append order, every field intact', async () => {
      const store = await open();
      const binary = Buffer.from([0, 1, 2, 255, 0, 10, 13]);
      const first = storeMessage(1, { headers: { 'content-type': 'application/octet-stream', 'x-ü': 'wert:\n' }, body: binary, persistent: false });
      await store.write([append('/queue/a', first), append('/queue/a', storeMessage(2))]);
      await store.write([append('/queue/a', storeMessage(3))]);
      const replayed = await replayAll(store, '/queue/a');
      expect(ids(replayed)).to.deep.equal(['msg-1', 'msg-2', 'msg-3']);
      const got = replayed[0]!;
      expect(got.deliveryCount).to.equal(0);
      expect(got.message.id).to.equal(first.id);
      expect(got.message.destination, 'the destination the sender named').to.equal('/queue/origin');
      expect(got.message.headers).to.deep.equal(first.headers);
      expect(Buffer.from(got.message.body).equals(binary), 'the body bytes are intact').to.equal(true);
      expect(got.message.persistent).to.equal(false);
      expect(got.message.timestamp).to.equal(first.timestamp);
      expect(await replayAll(store, '/queue/b'), 'other destinations hold nothing').to.deep.equal([]);
    });

    it('keeps the bytes and headers it was given, even when the caller reuses them after the write', async () => {
      // Protocol adapters hand over slices of their read buffers, which they reuse: a store that
      // keeps a reference instead of a copy replays whatever the buffer holds later.
      const store = await open();
      const body = Buffer.from('original body');
      const headers: Record<string, string> = { h: 'value' };
      await store.write([append('/queue/a', storeMessage(1, { body, headers }))]);
      body.fill('X');
      headers['h'] = 'changed';
      const [got] = await replayAll(store, '/queue/a');
      expect(Buffer.from(got!.message.body).toString(), 'the body as written').to.equal('original body');
      expect(got!.message.headers, 'the headers as written').to.deep.equal({ h: 'value' });
    });

    it('keeps messages, delivery counts and destination records across close and reopen', async () => {
      let store = await open();
      await store.write([
        { op: 'save-destination', destination: { name: '/queue/a', type: 'queue' } },
        append('/queue/a', storeMessage(1)), append('/queue/a', storeMessage(2)), append('/queue/a', storeMessage(3)),
      ]);
      await store.write([{ op: 'delivered', destination: '/queue/a', id: 'msg-2' }]);
      await store.write([{ op: 'delivered', destination: '/queue/a', id: 'msg-2' }, { op: 'delivered', destination: '/queue/a', id: 'msg-3' }]);
      store = await reopen(store);
      const replayed = await replayAll(store, '/queue/a');
      expect(ids(replayed)).to.deep.equal(['msg-1', 'msg-2', 'msg-3']);
      expect(replayed.map((s) => s.deliveryCount)).to.deep.equal([0, 2, 1]);
      expect(await store.destinations()).to.deep.equal([{ name: '/queue/a', type: 'queue' }]);
    });

    it('forgets removed (acknowledged) messages, also after a reopen; unknown ids are ignored', async () => {
      let store = await open();
      await store.write([1, 2, 3, 4].map((n) => append('/queue/a', storeMessage(n))));
      await store.write([
        { op: 'remove', destination: '/queue/a', id: 'msg-2' },
        { op: 'remove', destination: '/queue/a', id: 'msg-4' },
        { op: 'remove', destination: '/queue/a', id: 'never-there' },
        { op: 'remove', destination: '/queue/elsewhere', id: 'msg-1' },
        { op: 'delivered', destination: '/queue/a', id: 'never-there' },
      ]);
      expect(ids(await replayAll(store, '/queue/a'))).to.deep.equal(['msg-1', 'msg-3']);
      store = await reopen(store);
      expect(ids(await replayAll(store, '/queue/a'))).to.deep.equal(['msg-1', 'msg-3']);
    });

    it('keeps each destination in append order across interleaved batches', async () => {
      let store = await open();
      const expected: Record<string, string[]> = { '/queue/a': [], '/queue/b': [], '/queue/c': [] };
      const names = Object.keys(expected);
      for (let batch = 0; batch < 20; batch++) {
        const ops: StoreOp[] = [];
        for (let i = 0; i < 15; i++) {
          const destination = names[(batch * 7 + i * 3) % names.length]!;
          const n = batch * 100 + i;
          ops.push(append(destination, storeMessage(n)));
          expected[destination]!.push(`msg-${n}`);
        }
        await store.write(ops);
      }
      store = await reopen(store);
      for (const destination of names) expect(ids(await replayAll(store, destination)), destination).to.deep.equal(expected[destination]);
    });

    it('writes one message into several destinations in one batch (a pubsub\'s copies), each on its own', async () => {
      let store = await open();
      const message = storeMessage(7, { destination: '/pubsub/orders' });
      await store.write([append('/queue/billing', message), append('/queue/shipping', message), append('/queue/audit', message)]);
      store = await reopen(store);
      for (const child of ['/queue/billing', '/queue/shipping', '/queue/audit']) {
        const replayed = await replayAll(store, child);
        expect(ids(replayed), child).to.deep.equal(['msg-7']);
        expect(replayed[0]!.message.destination).to.equal('/pubsub/orders');
      }
      // Acknowledged in one child, it stays in the others.
      await store.write([{ op: 'remove', destination: '/queue/shipping', id: 'msg-7' }]);
      expect(await replayAll(store, '/queue/shipping')).to.have.length(0);
      expect(await replayAll(store, '/queue/billing')).to.have.length(1);
    });

    it('ignores an append of an id the destination already holds', async () => {
      const store = await open();
      await store.write([append('/queue/a', storeMessage(1)), append('/queue/a', storeMessage(2))]);
      await store.write([append('/queue/a', storeMessage(1, { body: Buffer.from('other') }))]);
      const replayed = await replayAll(store, '/queue/a');
      expect(ids(replayed)).to.deep.equal(['msg-1', 'msg-2']);
      expect(Buffer.from(replayed[0]!.message.body).toString()).to.equal('body-1');
    });

    it('applies the operations of a batch in order', async () => {
      let store = await open();
      await store.write([
        append('/queue/a', storeMessage(1)),
        { op: 'remove', destination: '/queue/a', id: 'msg-1' },
        { op: 'save-destination', destination: { name: '/queue/b', type: 'queue' } },
        append('/queue/b', storeMessage(2)),
        { op: 'delete-destination', name: '/queue/b' },
        { op: 'save-destination', destination: { name: '/queue/b', type: 'queue' } },
        append('/queue/b', storeMessage(3)),
        { op: 'delivered', destination: '/queue/b', id: 'msg-3' },
      ]);
      store = await reopen(store);
      expect(await replayAll(store, '/queue/a')).to.deep.equal([]);
      const b = await replayAll(store, '/queue/b');
      expect(ids(b)).to.deep.equal(['msg-3']);
      expect(b[0]!.deliveryCount).to.equal(1);
      expect(await store.destinations()).to.deep.equal([{ name: '/queue/b', type: 'queue' }]);
    });

    it('empties one destination with purge and keeps its record and the other destinations', async () => {
      let store = await open();
      await store.write([
        { op: 'save-destination', destination: { name: '/queue/a', type: 'queue' } },
        append('/queue/a', storeMessage(1)), append('/queue/a', storeMessage(2)), append('/queue/b', storeMessage(3)),
      ]);
      await store.write([{ op: 'purge', destination: '/queue/a' }]);
      await store.write([append('/queue/a', storeMessage(4))]);
      store = await reopen(store);
      expect(ids(await replayAll(store, '/queue/a'))).to.deep.equal(['msg-4']);
      expect(ids(await replayAll(store, '/queue/b'))).to.deep.equal(['msg-3']);
      expect((await store.destinations()).map((d) => d.name)).to.deep.equal(['/queue/a']);
    });

    it('keeps destination records in the order first saved, replaces them, and deletes them with their messages', async () => {
      let store = await open();
      await store.write([
        { op: 'save-destination', destination: { name: '/pubsub/p', type: 'pubsub', children: ['/queue/x'] } },
        { op: 'save-destination', destination: { name: '/queue/x', type: 'queue' } },
        { op: 'save-destination', destination: { name: '/queue/y', type: 'queue' } },
        append('/queue/y', storeMessage(1)),
      ]);
      await store.write([{ op: 'save-destination', destination: { name: '/pubsub/p', type: 'pubsub', children: ['/queue/x', '/queue/z'] } }]);
      await store.write([{ op: 'delete-destination', name: '/queue/y' }, { op: 'delete-destination', name: '/queue/never' }]);
      store = await reopen(store);
      expect(await store.destinations()).to.deep.equal([
        { name: '/pubsub/p', type: 'pubsub', children: ['/queue/x', '/queue/z'] },
        { name: '/queue/x', type: 'queue' },
      ]);
      expect(await replayAll(store, '/queue/y'), 'a deleted destination\'s messages are gone').to.deep.equal([]);
      await store.write([{ op: 'save-destination', destination: { name: '/queue/y', type: 'queue' } }]);
      expect((await store.destinations()).map((d) => d.name)).to.deep.equal(['/pubsub/p', '/queue/x', '/queue/y']);
    });

    it('leaves nothing of a batch that fails half way, and keeps working afterwards', async () => {
      let store = await open();
      await store.write([append('/queue/a', storeMessage(0)), { op: 'save-destination', destination: { name: '/queue/a', type: 'queue' } }]);
      const ops: StoreOp[] = [];
      for (let i = 1; i <= 200; i++) {
        const message = storeMessage(i);
        // The 150th message cannot be read: as if the process failed while writing it.
        ops.push(append(i % 2 === 0 ? '/queue/a' : '/queue/b', i === 150 ? poisoned(message) : message));
        if (i === 100) ops.push({ op: 'remove', destination: '/queue/a', id: 'msg-0' }, { op: 'delete-destination', name: '/queue/a' });
      }
      let failed = false;
      try {
        await store.write(ops);
      } catch {
        failed = true;
      }
      expect(failed, 'write() rejects').to.equal(true);
      expect(ids(await replayAll(store, '/queue/a'))).to.deep.equal(['msg-0']);
      expect(await replayAll(store, '/queue/b')).to.deep.equal([]);
      expect((await store.destinations()).map((d) => d.name)).to.deep.equal(['/queue/a']);
      await store.write([append('/queue/b', storeMessage(201))]);
      store = await reopen(store);
      expect(ids(await replayAll(store, '/queue/a'))).to.deep.equal(['msg-0']);
      expect(ids(await replayAll(store, '/queue/b'))).to.deep.equal(['msg-201']);
    });

    it('keeps its recovery record (clean-stop marker, delivery horizons) across close and reopen, when it has one', async () => {
      let store = await open();
      if (store.recovery === undefined) {
        // Store.recovery is optional: core then flags every restored message redelivered.
        expect(store.recovery, 'a store without recovery() (core never gives it horizon or clean operations)').to.equal(undefined);
        return;
      }
      const record = async (s: Store) => {
        const r = await s.recovery!();
        return { clean: r.clean, horizons: Object.fromEntries(r.horizons) };
      };
      expect(await record(store), 'a new store: clean, no horizons').to.deep.equal({ clean: true, horizons: {} });
      await store.write([
        { op: 'horizon', destination: '/queue/a', horizon: '{"upTo":"a-1"}' },
        { op: 'horizon', destination: '/queue/b', horizon: 'b-1' },
        { op: 'clean', clean: false },
        append('/queue/a', storeMessage(1)),
      ]);
      store = await reopen(store);
      expect(await record(store), 'after a restart').to.deep.equal({ clean: false, horizons: { '/queue/a': '{"upTo":"a-1"}', '/queue/b': 'b-1' } });
      await store.write([{ op: 'horizon', destination: '/queue/a', horizon: 'a-2' }, { op: 'horizon', destination: '/queue/b', horizon: null }]);
      await store.write([{ op: 'clean', clean: true }]);
      store = await reopen(store);
      expect(await record(store), 'replaced, forgotten with null, marked clean').to.deep.equal({ clean: true, horizons: { '/queue/a': 'a-2' } });
      expect(ids(await replayAll(store, '/queue/a')), 'messages are untouched').to.deep.equal(['msg-1']);
    });

    it('forgets a horizon with its destination, and applies recovery operations atomically with their batch', async () => {
      let store = await open();
      if (store.recovery === undefined) {
        expect(store.recovery, 'a store without recovery()').to.equal(undefined);
        return;
      }
      await store.write([
        { op: 'save-destination', destination: { name: '/queue/gone', type: 'queue' } },
        { op: 'horizon', destination: '/queue/gone', horizon: 'g' },
        { op: 'horizon', destination: '/queue/kept', horizon: 'k' },
      ]);
      await store.write([{ op: 'delete-destination', name: '/queue/gone' }]);
      let failed = false;
      try {
        await store.write([{ op: 'horizon', destination: '/queue/kept', horizon: 'k-2' }, { op: 'clean', clean: false }, append('/queue/kept', poisoned(storeMessage(1)))]);
      } catch {
        failed = true;
      }
      expect(failed, 'write() rejects').to.equal(true);
      store = await reopen(store);
      const r = await store.recovery!();
      expect(r.clean, 'the failed batch did not mark the store unclean').to.equal(true);
      expect(Object.fromEntries(r.horizons), 'the deleted destination\'s horizon is gone; the failed batch changed none').to.deep.equal({ '/queue/kept': 'k' });
    });

    it('replays what a model of the contract holds, after every batch and restart of random histories', async function () {
      this.timeout(120_000);
      const open = async (folder: string): Promise<Store> => {
        const store = await options.create(folder, setup);
        await store.setup();
        return store;
      };
      const fresh = (): string => mkdtempSync(join(tmpdir(), `wharf-store-history-${process.pid}-${++counter}-`));
      const discard = (folder: string): void => rmSync(folder, { recursive: true, force: true });
      await checkStoreHistories(open, fresh, discard, options.historyRuns ?? 60);
    });

    it('writes and replays a large batch in order', async () => {
      let store = await open();
      const body = Buffer.alloc(1024, 'x');
      const ops = Array.from({ length: 5000 }, (_, i) => append('/queue/big', storeMessage(i, { body })));
      await store.write(ops);
      store = await reopen(store);
      const replayed = await replayAll(store, '/queue/big');
      expect(replayed).to.have.length(5000);
      expect(replayed.every((s, i) => s.message.id === `msg-${i}`), 'in order').to.equal(true);
      expect(replayed[4999]!.message.body.byteLength).to.equal(1024);
    });

    if (options.childModule !== undefined) {
      const childModule = options.childModule;
      it('keeps every committed batch and no part of the one being written when the process is killed (kill -9)', async function () {
        this.timeout(60_000);
        await checkCrashRecovery(childModule, dir, options.crashRounds ?? 3, async () => {
          const store = await open();
          opened = opened.filter((s) => s !== store);
          return store;
        });
      });
    }
  });
}

/** A message whose body cannot be read: a store reading it throws in the middle of the batch. */
function poisoned(message: Message): Message {
  return Object.defineProperty({ ...message }, 'body', {
    enumerable: true,
    get(): Uint8Array {
      throw new Error('cannot read this message (a fault injected by the store conformance suite)');
    },
  });
}
