/**
 * The file format (schema.ts): a file of format 1 (the destination's name in every row, a
 * (destination, id) index) is converted at setup with every message, its order, origin, headers
 * and delivery count intact; a file of a newer format is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
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
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").all();
    expect(indexes, 'the (destination, id) index went with the old table').to.deep.equal([]);

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
    let error: Error | undefined;
    try {
      await store.setup();
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).to.include(path).and.to.include(`store format ${SCHEMA_VERSION + 1}`).and.to.include(`up to ${SCHEMA_VERSION}`);
    store = undefined;
  });

  it('keeps a message\'s origin only when it differs from its destination', async () => {
    store = new SqliteStore({ path });
    await store.setup();
    await store.write([
      { op: 'append', destination: '/queue/own', message: storeMessage(1, { destination: '/queue/own', headers: {} }) },
      { op: 'append', destination: '/queue/child', message: storeMessage(2, { destination: '/pubsub/parent' }) },
    ]);
    const rows = store.database!.prepare('SELECT id, origin, headers FROM messages ORDER BY seq').all();
    expect(rows).to.deep.equal([
      { id: 'msg-1', origin: null, headers: null },
      { id: 'msg-2', origin: '/pubsub/parent', headers: '{"content-type":"text/plain","n":"2"}' },
    ]);
    expect((await replayAll(store, '/queue/own'))[0]!.message.destination).to.equal('/queue/own');
    expect((await replayAll(store, '/queue/child'))[0]!.message.destination).to.equal('/pubsub/parent');
  });
});
