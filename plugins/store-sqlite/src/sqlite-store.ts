/**
 * A Store in one SQLite file (better-sqlite3): the embedded durable default.
 *
 * - WAL journal with `synchronous=FULL`: a committed transaction is on disk (fsync) before
 *   write() resolves, and survives a crash of the process or of the machine.
 * - One transaction per write(): core's group commit hands over a whole turn's worth of appends,
 *   acknowledgements and delivery marks at once, so one fsync covers them all.
 * - `locking_mode=EXCLUSIVE`: one broker per file. A second process that opens the file while a
 *   broker runs fails at setup with a clear error instead of corrupting anything; the lock goes
 *   with the process, kill -9 included.
 * - Prepared statements; messages ordered by an integer sequence, indexed per destination.
 *
 * better-sqlite3 is synchronous: a commit blocks the event loop for the length of its fsync. That
 * is what makes the batches grow under load (everything that arrives meanwhile forms the next).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger, Message, Store, StoreOp, StoredDestination, StoredMessage } from '@wharf/core';

export type SynchronousMode = 'FULL' | 'EXTRA' | 'NORMAL';

export interface SqliteStoreOptions {
  /** The database file (absolute, or relative to the process's working directory), or `:memory:`. */
  readonly path: string;
  /** SQLite's `synchronous` pragma: FULL (default) syncs every commit; NORMAL may lose the last commits on power loss. */
  readonly synchronous?: SynchronousMode;
  /** How long setup waits for a file another process holds, in ms (default 2000). */
  readonly lockTimeoutMs?: number;
  readonly logger?: Logger;
}

/** The schema version this code writes (PRAGMA user_version). */
const SCHEMA_VERSION = 1;
const REPLAY_PAGE = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS destinations (
  position INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  type     TEXT NOT NULL,
  children TEXT
);
CREATE TABLE IF NOT EXISTS messages (
  seq            INTEGER PRIMARY KEY,
  destination    TEXT    NOT NULL,
  id             TEXT    NOT NULL,
  origin         TEXT    NOT NULL,
  headers        TEXT    NOT NULL,
  body           BLOB    NOT NULL,
  persistent     INTEGER NOT NULL,
  timestamp      INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0,
  UNIQUE (destination, id)
);
CREATE INDEX IF NOT EXISTS messages_by_destination ON messages (destination, seq);
`;

interface Statements {
  readonly append: Database.Statement;
  readonly delivered: Database.Statement;
  readonly remove: Database.Statement;
  readonly purge: Database.Statement;
  readonly saveDestination: Database.Statement;
  readonly deleteDestination: Database.Statement;
  readonly destinations: Database.Statement;
  readonly page: Database.Statement;
}

interface MessageRow {
  seq: number;
  id: string;
  origin: string;
  headers: string;
  body: Buffer;
  persistent: number;
  timestamp: number;
  delivery_count: number;
}

interface DestinationRow {
  name: string;
  type: string;
  children: string | null;
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  private apply: ((ops: readonly StoreOp[]) => void) | undefined;

  constructor(readonly options: SqliteStoreOptions) {}

  /** The open connection (for tests and diagnostics), or undefined. */
  get database(): Database.Database | undefined {
    return this.db;
  }

  async setup(): Promise<void> {
    if (this.db !== undefined) return;
    const { path } = this.options;
    const synchronous = this.options.synchronous ?? 'FULL';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path, { timeout: this.options.lockTimeoutMs ?? 2000 });
    try {
      db.pragma('locking_mode = EXCLUSIVE');
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (path !== ':memory:' && String(mode).toLowerCase() !== 'wal') throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)})`);
      db.pragma(`synchronous = ${synchronous}`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(`${path} was written by a newer Wharf (store format ${version}; this one reads ${SCHEMA_VERSION})`);
      }
      // Takes the exclusive lock now: a second broker on the same file fails here.
      db.exec('BEGIN IMMEDIATE');
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
      db.exec('COMMIT');
    } catch (err) {
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        throw new Error(`${path} is in use by another process (another broker?): ${(err as Error).message}`);
      }
      throw err;
    }
    this.db = db;
    this.statements = prepareStatements(db);
    const s = this.statements;
    this.apply = db.transaction((ops: readonly StoreOp[]) => {
      for (const op of ops) applyOne(s, op);
    });
    this.options.logger?.info({ path, journal: 'wal', synchronous }, 'sqlite store open');
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    if (this.apply === undefined) throw new Error('the sqlite store is not open');
    if (ops.length === 0) return;
    // One transaction: rolled back whole if any operation throws.
    this.apply(ops);
  }

  async destinations(): Promise<StoredDestination[]> {
    const rows = this.open().destinations.all() as DestinationRow[];
    return rows.map((row) => ({
      name: row.name,
      type: row.type,
      ...(row.children !== null ? { children: JSON.parse(row.children) as string[] } : {}),
    }));
  }

  async *replay(destination: string): AsyncIterable<StoredMessage> {
    let after = -1;
    // Paged, never a cursor held open across yields: writes may happen between two pages.
    for (;;) {
      const rows = this.open().page.all(destination, after, REPLAY_PAGE) as MessageRow[];
      for (const row of rows) yield { message: toMessage(row), deliveryCount: row.delivery_count };
      if (rows.length < REPLAY_PAGE) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.apply = undefined;
    db?.close();
  }

  private open(): Statements {
    if (this.statements === undefined) throw new Error('the sqlite store is not open');
    return this.statements;
  }
}

function prepareStatements(db: Database.Database): Statements {
  return {
    append: db.prepare('INSERT OR IGNORE INTO messages (destination, id, origin, headers, body, persistent, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    delivered: db.prepare('UPDATE messages SET delivery_count = delivery_count + 1 WHERE destination = ? AND id = ?'),
    remove: db.prepare('DELETE FROM messages WHERE destination = ? AND id = ?'),
    purge: db.prepare('DELETE FROM messages WHERE destination = ?'),
    saveDestination: db.prepare(
      'INSERT INTO destinations (name, type, children) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type, children = excluded.children',
    ),
    deleteDestination: db.prepare('DELETE FROM destinations WHERE name = ?'),
    destinations: db.prepare('SELECT name, type, children FROM destinations ORDER BY position'),
    page: db.prepare(
      'SELECT seq, id, origin, headers, body, persistent, timestamp, delivery_count FROM messages WHERE destination = ? AND seq > ? ORDER BY seq LIMIT ?',
    ),
  };
}

function applyOne(s: Statements, op: StoreOp): void {
  switch (op.op) {
    case 'append': {
      const m = op.message;
      s.append.run(op.destination, m.id, m.destination, JSON.stringify(m.headers), asBuffer(m.body), m.persistent ? 1 : 0, m.timestamp);
      break;
    }
    case 'delivered':
      s.delivered.run(op.destination, op.id);
      break;
    case 'remove':
      s.remove.run(op.destination, op.id);
      break;
    case 'purge':
      s.purge.run(op.destination);
      break;
    case 'save-destination': {
      const d = op.destination;
      s.saveDestination.run(d.name, d.type, d.children === undefined ? null : JSON.stringify(d.children));
      break;
    }
    case 'delete-destination':
      s.deleteDestination.run(op.name);
      s.purge.run(op.name);
      break;
    default:
      throw new Error(`unknown store operation ${JSON.stringify((op as { op?: unknown }).op)}`);
  }
}

/** better-sqlite3 binds Buffers as BLOBs: a view over the same bytes, no copy. */
function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    destination: row.origin,
    headers: JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    persistent: row.persistent === 1,
    timestamp: row.timestamp,
  };
}
