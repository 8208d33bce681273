/**
 * The sqlite store keeps the messages of one batch and one destination in one segment row, an
 * index of them in memory (destination -> id -> segment and slot), a bitmap of removed slots for a
 * segment partly acknowledged, and deletes segments emptied in ranges. These tests aim at the
 * edges of that bookkeeping; the Store contract itself is checked by describeStore()
 * (conformance.test.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Message, StoreOp } from '@wharf/core';
import { replayAll, storeMessage } from '@wharf/testkit';
import { SqliteStore } from '../src/index.js';
import { MAX_SEQ, SegmentIndex } from '../src/segment-index.js';
import { RENUMBER_AFTER } from '../src/sqlite-store.js';
import { SEGMENT_BYTES } from '../src/schema.js';

const append = (destination: string, message: Message): StoreOp => ({ op: 'append', destination, message });
const remove = (destination: string, n: number | string): StoreOp => ({ op: 'remove', destination, id: `msg-${n}` });

describe('sqlite store: segment bookkeeping', () => {
  let dir: string;
  let store: SqliteStore;
  const open = async (): Promise<SqliteStore> => {
    store = new SqliteStore({ path: join(dir, 'wharf.db') });
    await store.setup();
    return store;
  };
  const ids = async (destination: string): Promise<string[]> => (await replayAll(store, destination)).map((s) => s.message.id);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
  const reopen = async (): Promise<void> => {
    await store.close();
    await open();
  };
  const count = (table: string): number => store.database!.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-seq-'));
    await open();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('removes acknowledged rows, in order or not, and leaves rows in between alone', async () => {
    const ops: StoreOp[] = [];
    for (const n of range(0, 100)) ops.push(append(n % 3 === 0 ? '/queue/b' : '/queue/a', storeMessage(n)));
    await store.write(ops);
    const removed = [...range(1, 30), 97, 95, 96, 50, 44].filter((n) => n % 3 !== 0);
    await store.write([...removed.map((n) => remove('/queue/a', n)), remove('/queue/a', 3)]); // 3 is in /queue/b
    const expected = range(0, 100).filter((n) => n % 3 !== 0 && !removed.includes(n)).map((n) => `msg-${n}`);
    expect(await ids('/queue/a')).to.deep.equal(expected);
    expect(await ids('/queue/b')).to.deep.equal(range(0, 100).filter((n) => n % 3 === 0).map((n) => `msg-${n}`));
  });

  it('writes appends of one batch in several statements and in order, ignoring an id appended twice', async () => {
    const ops: StoreOp[] = range(0, 75).map((n) => append('/queue/a', storeMessage(n)));
    ops.splice(40, 0, append('/queue/a', storeMessage(3, { body: Buffer.from('second copy') })));
    ops.splice(60, 0, { op: 'delivered', destination: '/queue/a', id: 'msg-50' });
    await store.write(ops);
    const replayed = await replayAll(store, '/queue/a');
    expect(replayed.map((s) => s.message.id)).to.deep.equal(range(0, 75).map((n) => `msg-${n}`));
    expect(Buffer.from(replayed[3]!.message.body).toString()).to.equal('body-3');
    expect(replayed[50]!.deliveryCount).to.equal(1);
    await store.write(range(0, 75).map((n) => remove('/queue/a', n)));
    expect(await ids('/queue/a')).to.deep.equal([]);
  });

  it('keeps a message removed and appended again in one batch', async () => {
    await store.write([append('/queue/a', storeMessage(1)), append('/queue/a', storeMessage(2))]);
    await store.write([remove('/queue/a', 1), append('/queue/a', storeMessage(1, { body: Buffer.from('again') }))]);
    const replayed = await replayAll(store, '/queue/a');
    expect(replayed.map((s) => [s.message.id, Buffer.from(s.message.body).toString()])).to.deep.equal([['msg-2', 'body-2'], ['msg-1', 'again']]);
    await store.write([remove('/queue/a', 1)]);
    expect(await ids('/queue/a')).to.deep.equal(['msg-2']);
  });

  it('forgets nothing of its bookkeeping when a batch fails: later removes still find their rows', async () => {
    await store.write([append('/queue/a', storeMessage(1)), append('/queue/a', storeMessage(2))]);
    const unreadable = Object.defineProperty({ ...storeMessage(3) }, 'body', { enumerable: true, get() { throw new Error('unreadable'); } });
    let failed = false;
    try {
      await store.write([
        remove('/queue/a', 1), { op: 'purge', destination: '/queue/a' }, append('/queue/a', storeMessage(4)),
        append('/queue/new', storeMessage(5)), append('/queue/a', unreadable),
      ]);
    } catch {
      failed = true;
    }
    expect(failed).to.equal(true);
    expect(await ids('/queue/a')).to.deep.equal(['msg-1', 'msg-2']);
    expect(await ids('/queue/new'), 'the failed batch\'s new destination is gone with it').to.deep.equal([]);
    await store.write([
      remove('/queue/a', 1), { op: 'delivered', destination: '/queue/a', id: 'msg-2' }, append('/queue/a', storeMessage(4)),
      append('/queue/new', storeMessage(5)),
    ]);
    const replayed = await replayAll(store, '/queue/a');
    expect(replayed.map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['msg-2', 1], ['msg-4', 0]]);
    expect(await ids('/queue/new')).to.deep.equal(['msg-5']);
    await store.close();
    await open();
    expect(await ids('/queue/a')).to.deep.equal(['msg-2', 'msg-4']);
    expect(await ids('/queue/new')).to.deep.equal(['msg-5']);
  });

  it('marks a message appended earlier in the same batch as delivered, and purges rows not yet inserted', async () => {
    await store.write([append('/queue/a', storeMessage(1)), { op: 'delivered', destination: '/queue/a', id: 'msg-1' }, append('/queue/a', storeMessage(2))]);
    expect((await replayAll(store, '/queue/a')).map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['msg-1', 1], ['msg-2', 0]]);
    await store.write([append('/queue/a', storeMessage(3)), { op: 'purge', destination: '/queue/a' }, append('/queue/a', storeMessage(4))]);
    expect(await ids('/queue/a')).to.deep.equal(['msg-4']);
    await store.close();
    await open();
    expect(await ids('/queue/a')).to.deep.equal(['msg-4']);
  });

  it('finds rows written before a restart, replayed or not, and ignores their ids when appended again', async () => {
    await store.write(range(0, 6).map((n) => append('/queue/a', storeMessage(n))));
    await store.close();
    await open();
    // Not replayed since the restart: found through the row index built at setup.
    await store.write([remove('/queue/a', 0), { op: 'delivered', destination: '/queue/a', id: 'msg-1' }, append('/queue/a', storeMessage(2, { body: Buffer.from('dup') }))]);
    expect(await ids('/queue/a')).to.deep.equal(['msg-1', 'msg-2', 'msg-3', 'msg-4', 'msg-5']);
    // Appended again after the restart: ignored; the others found as before.
    await store.write([remove('/queue/a', 1), remove('/queue/a', 2), append('/queue/a', storeMessage(6))]);
    const replayed = await replayAll(store, '/queue/a');
    expect(replayed.map((s) => s.message.id)).to.deep.equal(['msg-3', 'msg-4', 'msg-5', 'msg-6']);
    expect(Buffer.from(replayed[0]!.message.body).toString()).to.equal('body-3');
  });

  it('keeps a batch\'s messages to one destination in one row, and deletes the row once all are acknowledged', async () => {
    await store.write(range(0, 50).map((n) => append(n % 2 === 0 ? '/queue/a' : '/queue/b', storeMessage(n))));
    expect(count('segments'), 'one segment per destination of the batch').to.equal(2);
    await store.write(range(0, 50).filter((n) => n % 2 === 0).map((n) => remove('/queue/a', n)));
    expect(count('segments')).to.equal(1);
    expect(count('segment_gaps'), 'a segment emptied leaves no bitmap').to.equal(0);
    expect(await ids('/queue/a')).to.deep.equal([]);
    expect(await ids('/queue/b')).to.have.length(25);
  });

  it('keeps the removed slots of a segment partly acknowledged across restarts', async () => {
    await store.write(range(0, 20).map((n) => append('/queue/a', storeMessage(n))));
    await store.write([1, 5, 6, 19].map((n) => remove('/queue/a', n)));
    expect(count('segment_gaps')).to.equal(1);
    await reopen();
    const left = range(0, 20).filter((n) => ![1, 5, 6, 19].includes(n));
    expect(await ids('/queue/a')).to.deep.equal(left.map((n) => `msg-${n}`));
    // Removed after the restart too, and then the last ones: the row and its bitmap go.
    await store.write([0, 2, 3].map((n) => remove('/queue/a', n)));
    await reopen();
    expect(await ids('/queue/a')).to.deep.equal(left.filter((n) => n > 3).map((n) => `msg-${n}`));
    await store.write(left.filter((n) => n > 3).map((n) => remove('/queue/a', n)));
    expect([count('segments'), count('segment_gaps')]).to.deep.equal([0, 0]);
    await reopen();
    expect(await ids('/queue/a')).to.deep.equal([]);
  });

  it('keeps delivery counts per message across restarts and forgets them with their segment', async () => {
    await store.write(range(0, 4).map((n) => append('/queue/a', storeMessage(n))));
    await store.write([{ op: 'delivered', destination: '/queue/a', id: 'msg-2' }, { op: 'delivered', destination: '/queue/a', id: 'msg-2' }, remove('/queue/a', 0)]);
    await reopen();
    await store.write([{ op: 'delivered', destination: '/queue/a', id: 'msg-3' }]);
    expect((await replayAll(store, '/queue/a')).map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['msg-1', 0], ['msg-2', 2], ['msg-3', 1]]);
    await store.write([1, 2, 3].map((n) => remove('/queue/a', n)));
    expect([count('segments'), count('delivery_counts')]).to.deep.equal([0, 0]);
  });

  it('writes nothing for messages appended and removed in the same batch', async () => {
    await store.write([
      append('/queue/a', storeMessage(1)), { op: 'delivered', destination: '/queue/a', id: 'msg-1' }, remove('/queue/a', 1),
    ]);
    expect([count('segments'), count('segment_gaps'), count('delivery_counts')]).to.deep.equal([0, 0, 0]);
    expect(await ids('/queue/a')).to.deep.equal([]);
  });

  it('keeps a segment whose first slots were removed while the batch was still appending to it', async () => {
    await store.write([
      append('/queue/a', storeMessage(1)), remove('/queue/a', 1),
      ...range(2, 30).map((n) => append('/queue/a', storeMessage(n))), remove('/queue/a', 20),
    ]);
    expect(count('segments')).to.equal(1);
    await reopen();
    expect(await ids('/queue/a')).to.deep.equal(range(2, 30).filter((n) => n !== 20).map((n) => `msg-${n}`));
  });

  it('splits a large batch into segments of bounded size, in order, and deletes them in one range', async () => {
    const body = Buffer.alloc(SEGMENT_BYTES / 4, 'x');
    await store.write(range(0, 10).map((n) => append('/queue/big', storeMessage(n, { body }))));
    expect(count('segments'), '4 bodies fill a segment').to.equal(3);
    await reopen();
    const replayed = await replayAll(store, '/queue/big');
    expect(replayed.map((s) => s.message.id)).to.deep.equal(range(0, 10).map((n) => `msg-${n}`));
    expect(replayed.every((s) => s.message.body.byteLength === body.length)).to.equal(true);
    await store.write(range(0, 10).map((n) => remove('/queue/big', n)));
    expect(count('segments')).to.equal(0);
  });

  it('puts messages appended after a restart behind every one in the file', async () => {
    for (const n of range(1, 4)) await store.write([append('/queue/a', storeMessage(n))]);
    await store.write([remove('/queue/a', 3)]); // the last segment goes
    await reopen();
    await store.write([append('/queue/a', storeMessage(4))]);
    await reopen();
    expect(await ids('/queue/a')).to.deep.equal(['msg-1', 'msg-2', 'msg-4']);
    const seqs = store.database!.prepare('SELECT seq FROM segments ORDER BY seq').pluck().all() as number[];
    expect(seqs).to.have.length(3);
  });

  it('rewrites a segment with a quarter or less of its messages left, keeping their order, counts and ids', async () => {
    await store.write([...range(0, 40).map((n) => append('/queue/a', storeMessage(n))), append('/queue/b', storeMessage(100))]);
    await store.write([...range(40, 50).map((n) => append('/queue/a', storeMessage(n)))]);
    const stays = [3, 17, 18, 30, 39];
    await store.write([{ op: 'delivered', destination: '/queue/a', id: 'msg-17' }, { op: 'delivered', destination: '/queue/a', id: 'msg-5' }]);
    const sizeBefore = (store.database!.prepare('SELECT length(data) FROM segments ORDER BY seq').pluck().get() as number);
    await store.write(range(0, 40).filter((n) => !stays.includes(n)).map((n) => remove('/queue/a', n)));
    const first = store.database!.prepare('SELECT seq, ids, length(data) AS bytes FROM segments ORDER BY seq').get() as { seq: number; ids: string; bytes: number };
    expect(JSON.parse(first.ids)).to.deep.equal(stays.map((n) => `msg-${n}`));
    expect(first.bytes).to.be.below(sizeBefore / 4);
    expect(count('segment_gaps'), 'a rewritten segment has no gaps').to.equal(0);
    const expected = [...stays, ...range(40, 50)].map((n) => `msg-${n}`);
    const check = async (): Promise<void> => {
      const replayed = await replayAll(store, '/queue/a');
      expect(replayed.map((s) => s.message.id)).to.deep.equal(expected);
      expect(replayed.map((s) => s.deliveryCount)).to.deep.equal(expected.map((id) => (id === 'msg-17' ? 1 : 0)));
      expect(Buffer.from(replayed[1]!.message.body).toString()).to.equal('body-17');
      expect(replayed[1]!.message.headers).to.deep.equal({ 'content-type': 'text/plain', n: '17' });
    };
    await check();
    await reopen();
    await check();
    // The messages kept are found at their new places: removed, marked, and the segment goes at the end.
    await store.write([remove('/queue/a', 18), { op: 'delivered', destination: '/queue/a', id: 'msg-30' }]);
    expected.splice(expected.indexOf('msg-18'), 1);
    expect((await replayAll(store, '/queue/a')).map((s) => [s.message.id, s.deliveryCount]).slice(0, 4))
      .to.deep.equal([['msg-3', 0], ['msg-17', 1], ['msg-30', 1], ['msg-39', 0]]);
    await store.write([3, 17, 30, 39].map((n) => remove('/queue/a', n)));
    expect(store.database!.prepare('SELECT count(*) FROM delivery_counts').pluck().get()).to.equal(0);
    expect(await ids('/queue/a')).to.deep.equal(range(40, 50).map((n) => `msg-${n}`));
    expect(await ids('/queue/b')).to.deep.equal(['msg-100']);
  });

  it('replays a run of consecutive segments read together, with the delivery counts of any of them', async () => {
    for (const n of range(0, 4)) await store.write([append('/queue/a', storeMessage(n))]);
    await store.write([append('/queue/b', storeMessage(9)), append('/queue/a', storeMessage(4))]);
    await store.write([{ op: 'delivered', destination: '/queue/a', id: 'msg-2' }, { op: 'delivered', destination: '/queue/a', id: 'msg-4' }]);
    await reopen();
    const replayed = await replayAll(store, '/queue/a');
    expect(replayed.map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['msg-0', 0], ['msg-1', 0], ['msg-2', 1], ['msg-3', 0], ['msg-4', 1]]);
    expect((await replayAll(store, '/queue/b')).map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['msg-9', 0]]);
  });

  it('renumbers segments from 1 at start once their numbers passed half of what a place holds, keeping order, gaps and counts', async () => {
    await store.write(range(0, 20).map((n) => append('/queue/a', storeMessage(n))));
    await store.write([append('/queue/b', storeMessage(50)), append('/queue/a', storeMessage(20))]);
    await store.write([remove('/queue/a', 3), { op: 'delivered', destination: '/queue/a', id: 'msg-5' }, { op: 'delivered', destination: '/queue/a', id: 'msg-20' }]);
    // As after years of traffic: the same segments, numbered past the line.
    const db = store.database!;
    for (const table of ['segments', 'segment_gaps', 'delivery_counts']) db.prepare(`UPDATE ${table} SET seq = seq + ?`).run(RENUMBER_AFTER + 1000);
    await reopen();
    expect(store.database!.prepare('SELECT seq FROM segments ORDER BY seq').pluck().all()).to.deep.equal([1, 2, 3]);
    expect(store.database!.prepare('SELECT seq FROM segment_gaps').pluck().all()).to.deep.equal([1]);
    const expected = [...range(0, 20).filter((n) => n !== 3), 20].map((n) => [`msg-${n}`, n === 5 || n === 20 ? 1 : 0]);
    expect((await replayAll(store, '/queue/a')).map((s) => [s.message.id, s.deliveryCount])).to.deep.equal(expected);
    expect(await ids('/queue/b')).to.deep.equal(['msg-50']);
    await store.write([append('/queue/a', storeMessage(21)), remove('/queue/a', 0)]);
    expect(store.database!.prepare('SELECT max(seq) FROM segments').pluck().get()).to.equal(4);
    await reopen();
    expect((await ids('/queue/a')).slice(-2)).to.deep.equal(['msg-20', 'msg-21']);
  });

  it('refuses to give a segment a number past what a place holds exactly', () => {
    const index = new SegmentIndex();
    index.load([[1, '/queue/a']], [], [], [], MAX_SEQ);
    expect(() => index.append(index.rows.get('/queue/a')!, storeMessage(1))).to.throw(/exhausted.*restart/);
  });
});
