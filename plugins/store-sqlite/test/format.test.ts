/**
 * The file format (schema.ts): files of format 1 (a row per message with the destination's name,
 * a (destination, id) index) and format 2 (a row per message with a destination key) are converted
 * to segments at setup with every message, its order, origin, headers and delivery count intact; a
 * file of a newer format is refused.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import type { WharfError } from '@wharf/core';
import { replayAll, storeMessage } from '@wharf/testkit';
import { SqliteStore } from '../src/index.js';
import { SCHEMA_VERSION } from '../src/schema.js';

/** The tables and index format 1 wrote, as it wrote them. */
const FORMAT_1 = `
CREATE TABLE destinations (position INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL, children TEXT);
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY, destination TEXT NOT NULL, id TEXT NOT NULL, origin TEXT NOT NULL, headers TEXT NOT NULL,
  body BLOB NOT NULL, persistent INTEGER NOT NULL, timestamp INTEGER NOT NULL, delivery_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (destination, id)
);
PRAGMA user_version = 1;
`;

/** The tables format 2 wrote. */
const FORMAT_2 = `
CREATE TABLE destinations (position INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL, children TEXT);
CREATE TABLE destination_keys (key INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE messages (
  seq INTEGER PRIMARY KEY, destination INTEGER NOT NULL, id TEXT NOT NULL, origin TEXT, headers TEXT,
  body BLOB NOT NULL, persistent INTEGER NOT NULL, timestamp INTEGER NOT NULL, delivery_count INTEGER NOT NULL DEFAULT 0
);
PRAGMA user_version = 2;
`;

/** The error `pending` rejects with, or undefined if it resolves. */
async function rejection(pending: Promise<unknown>): Promise<Error | undefined> {
  try {
    await pending;
  } catch (err) {
    return err as Error;
  }
  return undefined;
}

describe('sqlite store: file format', () => {
  let dir: string;
  let path: string;
  let store: SqliteStore | undefined;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-sqlite-format-'));
    path = join(dir, 'wharf.db');
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  const writeFormat1 = (): void => {
    const db = new Database(path);
    db.exec(FORMAT_1);
    db.prepare("INSERT INTO destinations (name, type, children) VALUES ('/pubsub/orders', 'pubsub', '[\"/queue/billing\"]')").run();
    const insert = db.prepare('INSERT INTO messages (seq, destination, id, origin, headers, body, persistent, timestamp, delivery_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    // Two destinations interleaved, a gap left by an acknowledged row, a copy from a pubsub, a message with headers of its own.
    insert.run(1, '/queue/a', 'm1', '/queue/a', '{}', Buffer.from('a1'), 1, 1001, 0);
    insert.run(2, '/queue/billing', 'm2', '/pubsub/orders', '{"k":"v"}', Buffer.from('b1'), 1, 1002, 2);
    insert.run(4, '/queue/a', 'm3', '/queue/a', '{}', Buffer.from('a2'), 0, 1003, 1);
    insert.run(5, '/queue/a', 'm4', '/queue/a', '{"x-n":"4"}', Buffer.from('a3'), 1, 1004, 0);
    db.close();
  };

  it('converts a format-1 file at setup, keeping every message with its order, origin, headers and delivery count', async () => {
    writeFormat1();
    store = new SqliteStore({ path });
    await store.setup();
    const a = await replayAll(store, '/queue/a');
    expect(a.map((s) => [s.message.id, Buffer.from(s.message.body).toString(), s.message.destination, s.message.headers, s.message.persistent, s.message.timestamp, s.deliveryCount]))
      .to.deep.equal([
        ['m1', 'a1', '/queue/a', {}, true, 1001, 0],
        ['m3', 'a2', '/queue/a', {}, false, 1003, 1],
        ['m4', 'a3', '/queue/a', { 'x-n': '4' }, true, 1004, 0],
      ]);
    const billing = await replayAll(store, '/queue/billing');
    expect(billing.map((s) => [s.message.id, s.message.destination, s.message.headers, s.deliveryCount])).to.deep.equal([['m2', '/pubsub/orders', { k: 'v' }, 2]]);
    expect(await store.destinations()).to.deep.equal([{ name: '/pubsub/orders', type: 'pubsub', children: ['/queue/billing'] }]);

    const db = store.database!;
    expect(db.pragma('user_version', { simple: true })).to.equal(SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE tbl_name = 'messages'").all(), 'the old table went, its index with it').to.deep.equal([]);
    expect(db.prepare('SELECT count(*) FROM segments').pluck().get(), 'a segment per run of one destination').to.equal(3);

    // The converted rows behave like any other: removed by id, new ones appended behind them.
    await store.write([
      { op: 'remove', destination: '/queue/a', id: 'm3' },
      { op: 'append', destination: '/queue/a', message: storeMessage(9, { destination: '/queue/a' }) },
      { op: 'append', destination: '/queue/a', message: storeMessage(1, { id: 'm1' }) }, // known id: ignored
    ]);
    await store.close();
    store = new SqliteStore({ path });
    await store.setup();
    expect((await replayAll(store, '/queue/a')).map((s) => s.message.id)).to.deep.equal(['m1', 'm4', 'msg-9']);
  });

  it('refuses a file written by a newer Wharf, naming the file and both formats', async () => {
    const db = new Database(path);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    store = new SqliteStore({ path });
    const error = await rejection(store.setup());
    expect(error?.message).to.include(path).and.to.include(`store format ${SCHEMA_VERSION + 1}`).and.to.include(`up to ${SCHEMA_VERSION}`);
    store = undefined;
  });

  it('converts a format-2 file at setup: runs of one destination become one segment each, in order', async () => {
    const db = new Database(path);
    db.exec(FORMAT_2);
    db.prepare("INSERT INTO destination_keys (key, name) VALUES (1, '/queue/a'), (2, '/queue/billing')").run();
    const insert = db.prepare('INSERT INTO messages (seq, destination, id, origin, headers, body, persistent, timestamp, delivery_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run(1, 1, 'm1', null, null, Buffer.from('a1'), 1, 1001, 0);
    insert.run(2, 1, 'm2', null, '{"x-n":"2"}', Buffer.from('a2'), 0, 1002, 3);
    insert.run(3, 2, 'm3', '/pubsub/orders', null, Buffer.from('b1'), 1, 1003, 0);
    insert.run(7, 1, 'm4', null, null, Buffer.alloc(0), 1, 1004, 1);
    db.close();
    store = new SqliteStore({ path });
    await store.setup();
    expect((await replayAll(store, '/queue/a')).map((s) => [s.message.id, Buffer.from(s.message.body).toString(), s.message.destination, s.message.headers, s.message.persistent, s.message.timestamp, s.deliveryCount]))
      .to.deep.equal([
        ['m1', 'a1', '/queue/a', {}, true, 1001, 0],
        ['m2', 'a2', '/queue/a', { 'x-n': '2' }, false, 1002, 3],
        ['m4', '', '/queue/a', {}, true, 1004, 1],
      ]);
    expect((await replayAll(store, '/queue/billing')).map((s) => [s.message.id, s.message.destination])).to.deep.equal([['m3', '/pubsub/orders']]);
    const converted = store.database!;
    expect(converted.prepare('SELECT seq, destination, ids FROM segments ORDER BY seq').raw().all()).to.deep.equal([
      [1, 1, '["m1","m2"]'], [2, 2, '["m3"]'], [3, 1, '["m4"]'],
    ]);
    expect(converted.prepare('SELECT seq, slot, count FROM delivery_counts ORDER BY seq, slot').raw().all()).to.deep.equal([[1, 1, 3], [3, 0, 1]]);

    // Converted segments behave like any other: one removed from the first, a restart, the rest found.
    await store.write([{ op: 'remove', destination: '/queue/a', id: 'm1' }, { op: 'delivered', destination: '/queue/a', id: 'm2' }]);
    await store.close();
    store = new SqliteStore({ path });
    await store.setup();
    expect((await replayAll(store, '/queue/a')).map((s) => [s.message.id, s.deliveryCount])).to.deep.equal([['m2', 4], ['m4', 1]]);
  });

  it('keeps a message\'s origin and headers only when they are not implied', async () => {
    store = new SqliteStore({ path });
    await store.setup();
    await store.write([
      { op: 'append', destination: '/queue/own', message: storeMessage(1, { destination: '/queue/own', headers: {} }) },
      { op: 'append', destination: '/queue/child', message: storeMessage(2, { destination: '/pubsub/parent' }) },
    ]);
    const data = store.database!.prepare('SELECT data FROM segments ORDER BY seq').pluck().all() as Buffer[];
    expect(data).to.have.length(2);
    expect(data[0]!.includes('/queue/own'), 'origin equal to the destination is not stored').to.equal(false);
    expect(data[0]!.length, 'flags, timestamp, body length, body').to.equal(1 + 8 + 4 + 'body-1'.length);
    expect(data[1]!.includes('/pubsub/parent')).to.equal(true);
    expect(data[1]!.includes('{"content-type":"text/plain","n":"2"}')).to.equal(true);
    expect((await replayAll(store, '/queue/own'))[0]!.message.destination).to.equal('/queue/own');
    expect((await replayAll(store, '/queue/child'))[0]!.message.destination).to.equal('/pubsub/parent');
  });

  it('refuses a damaged segment naming the file, the segment and what to do, at setup (ids) or at replay (messages)', async () => {
    store = new SqliteStore({ path });
    await store.setup();
    await store.write([{ op: 'append', destination: '/queue/a', message: storeMessage(1) }, { op: 'append', destination: '/queue/b', message: storeMessage(2) }]);
    store.database!.prepare("UPDATE segments SET data = x'01' WHERE ids = '[\"msg-1\"]'").run();
    await store.close();
    store = new SqliteStore({ path });
    await store.setup();
    expect((await replayAll(store, '/queue/b')).map((s) => s.message.id), 'the other segments still read').to.deep.equal(['msg-2']);
    const replayError = await rejection(replayAll(store, '/queue/a'));
    expect(replayError?.message).to.include(path).and.to.include('segment 1').and.to.include('/queue/a');
    expect((replayError as WharfError).hint).to.include('backup');

    store.database!.prepare("UPDATE segments SET ids = 'not json' WHERE seq = 2").run();
    await store.close();
    store = new SqliteStore({ path });
    const setupError = await rejection(store.setup());
    expect(setupError?.message).to.include(path).and.to.include('segment 2').and.to.include('its ids');
    expect(store.database, 'the file is let go').to.equal(undefined);
    const again = new SqliteStore({ path, lockTimeoutMs: 0 });
    let lockedOut = false;
    await again.setup().catch((err: Error) => { lockedOut = /in use/.test(err.message); });
    expect(lockedOut, 'the failed setup released its lock: the next one fails on the damage, not the lock').to.equal(false);
    await again.close();
    store = undefined;
  });

  it('refuses a file that is not a SQLite database, naming it and what to do', async () => {
    writeFileSync(path, Buffer.alloc(8192, 'x'));
    store = new SqliteStore({ path });
    const error = await rejection(store.setup());
    expect(error?.message).to.include(path).and.to.include('not a Wharf store');
    expect((error as WharfError).hint).to.include('backup');
    store = undefined;
  });
});
