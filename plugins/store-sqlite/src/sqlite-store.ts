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
 * - Prepared statements; messages ordered by an integer sequence (the rowid), unique per (destination, id).
 * - The sequence number of every message this process appended or replayed is kept in memory
 *   (destination -> id -> seq), so an acknowledgement or a delivery mark finds its row by primary
 *   key, and the removals of one batch go out as ranges of consecutive sequence numbers: a queue
 *   acknowledged in order costs one DELETE statement per batch, not one per message. A row the
 *   process does not know (not replayed since the start) is still found by (destination, id).
 * - A WAL of up to WAL_AUTOCHECKPOINT pages between checkpoints, and a page cache that can hold
 *   a busy batch: messages live briefly (appended, then removed a few batches later), so most of
 *   their pages are rewritten in the WAL many times and copied to the database file once.
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
/** Pages written to the WAL before SQLite copies them into the database file (its default: 1000). */
const WAL_AUTOCHECKPOINT = 10_000;
/** The page cache, in KiB (negative: SQLite's unit for a size in KiB); memory is taken as pages are used. */
const CACHE_SIZE_KIB = 65_536;
/** Most rows one INSERT statement writes (8 parameters each: well under SQLite's limit of 32766). */
const INSERT_ROWS = 32;

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
`;
/**
 * Files written before the store kept its own sequence index had an index on (destination, seq)
 * for replay; it costs every append and removal an index update, and replay finds a destination's
 * rows through the (destination, id) index instead. Dropped at setup (an older Wharf that opens
 * the file makes it again).
 */
const DROP_OLD_INDEXES = 'DROP INDEX IF EXISTS messages_by_destination';

interface Statements {
  readonly seqOf: Database.Statement;
  readonly delivered: Database.Statement;
  readonly deliveredBySeq: Database.Statement;
  readonly remove: Database.Statement;
  readonly removeRange: Database.Statement;
  readonly purge: Database.Statement;
  readonly saveDestination: Database.Statement;
  readonly deleteDestination: Database.Statement;
  readonly destinations: Database.Statement;
  readonly replay: Database.Statement;
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

/** Sequence numbers of the rows this process knows: destination -> message id -> seq. */
type SeqIndex = Map<string, Map<string, number>>;

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  private apply: ((ops: readonly StoreOp[]) => void) | undefined;
  private readonly seqs: SeqIndex = new Map();
  /** The next sequence number to give (one more than the largest in the file at setup). */
  private nextSeq = 1;
  /** Rows to delete at the end of the batch's transaction, by sequence number. */
  private removals: number[] = [];
  /** Appends of the batch not inserted yet (up to INSERT_ROWS, inserted with one statement). */
  private appends: StoreOp[] = [];
  /** INSERT statements by row count. */
  private inserts: Array<{ statement: Database.Statement; params: unknown[] } | undefined> = [];

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
      db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT}`);
      db.pragma(`cache_size = -${CACHE_SIZE_KIB}`);
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) {
        throw new Error(`${path} was written by a newer Wharf (store format ${version}; this one reads ${SCHEMA_VERSION})`);
      }
      // Takes the exclusive lock now: a second broker on the same file fails here.
      db.exec('BEGIN IMMEDIATE');
      db.exec(SCHEMA);
      db.exec(DROP_OLD_INDEXES);
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
    this.nextSeq = ((db.prepare('SELECT MAX(seq) AS seq FROM messages').get() as { seq: number | null }).seq ?? 0) + 1;
    this.seqs.clear();
    this.apply = db.transaction((ops: readonly StoreOp[]) => {
      for (let i = 0; i < ops.length; i++) this.applyOne(ops[i]!);
      this.insertAppends();
      this.removeRows();
    });
    this.options.logger?.info({ path, journal: 'wal', synchronous }, 'sqlite store open');
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    if (this.apply === undefined) throw new Error('the sqlite store is not open');
    if (ops.length === 0) return;
    // One transaction: rolled back whole if any operation throws. The index of sequence numbers
    // may then hold changes the file does not: it is dropped (rows are found by (destination, id)
    // until replayed or appended again). Failures are rare; the happy path keeps no undo log.
    try {
      this.apply(ops);
    } catch (err) {
      this.seqs.clear();
      throw err;
    } finally {
      this.removals = [];
      this.appends = [];
    }
  }

  async destinations(): Promise<StoredDestination[]> {
    const rows = this.open().destinations.all() as DestinationRow[];
    return rows.map((row) => ({
      name: row.name,
      type: row.type,
      ...(row.children !== null ? { children: JSON.parse(row.children) as string[] } : {}),
    }));
  }

  /**
   * A destination's rows in append order, read in one query (found through the (destination, id)
   * index and sorted by seq): no cursor stays open across yields, so writes may come between
   * them. The rows of one destination are in memory at once — as its queue will hold them anyway.
   */
  async *replay(destination: string): AsyncIterable<StoredMessage> {
    const rows = this.open().replay.all(destination) as MessageRow[];
    if (rows.length === 0) return;
    let ids = this.seqs.get(destination);
    if (ids === undefined) this.seqs.set(destination, ids = new Map());
    for (const row of rows) {
      ids.set(row.id, row.seq);
      yield { message: toMessage(row), deliveryCount: row.delivery_count };
    }
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.apply = undefined;
    this.inserts = [];
    this.seqs.clear();
    db?.close();
  }

  // ------------------------------------------------------------------ inside a batch's transaction

  private applyOne(op: StoreOp): void {
    const s = this.statements!;
    // Appends wait to be inserted together; anything else may concern one of them, so they go first.
    if (op.op !== 'append' && this.appends.length > 0) this.insertAppends();
    switch (op.op) {
      case 'append': {
        // Already there: appends of a known id are ignored.
        if (this.idsOf(op.destination, true)!.has(op.message.id)) break;
        this.appends.push(op);
        if (this.appends.length === INSERT_ROWS) this.insertAppends();
        return;
      }
      case 'delivered': {
        const seq = this.seqs.get(op.destination)?.get(op.id);
        if (seq !== undefined) s.deliveredBySeq.run(seq);
        else s.delivered.run(op.destination, op.id);
        break;
      }
      case 'remove': {
        const ids = this.seqs.get(op.destination);
        const seq = ids?.get(op.id);
        if (seq !== undefined) {
          ids!.delete(op.id);
          this.removals.push(seq);
        } else {
          s.remove.run(op.destination, op.id);
        }
        break;
      }
      case 'purge':
        this.forgetDestination(op.destination);
        s.purge.run(op.destination);
        break;
      case 'save-destination': {
        const d = op.destination;
        s.saveDestination.run(d.name, d.type, d.children === undefined ? null : JSON.stringify(d.children));
        break;
      }
      case 'delete-destination':
        this.forgetDestination(op.name);
        s.deleteDestination.run(op.name);
        s.purge.run(op.name);
        break;
      default:
        throw new Error(`unknown store operation ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }

  /**
   * Inserts the appends collected so far with one statement: per statement, SQLite and the binding
   * layer cost about as much as a row. INSERT OR IGNORE keeps a row already there (an id this
   * process never replayed, or one appended twice in the batch): then each id's row is looked up.
   */
  private insertAppends(): void {
    const appends = this.appends;
    const count = appends.length;
    if (count === 0) return;
    this.appends = [];
    const { statement, params } = this.insertFor(count);
    const first = this.nextSeq;
    this.nextSeq += count;
    for (let i = 0, p = 0; i < count; i++) {
      const op = appends[i] as Extract<StoreOp, { op: 'append' }>;
      const m = op.message;
      params[p++] = first + i;
      params[p++] = op.destination;
      params[p++] = m.id;
      params[p++] = m.destination;
      params[p++] = headersJson(m.headers);
      params[p++] = asBuffer(m.body);
      params[p++] = m.persistent ? 1 : 0;
      params[p++] = m.timestamp;
    }
    let inserted = statement.run(params).changes;
    if (inserted !== count && this.removals.length > 0) {
      // An id removed earlier in this batch and appended again: the removal must happen first.
      this.removeRows();
      inserted += statement.run(params).changes;
    }
    const lookup = inserted !== count ? this.statements!.seqOf : undefined;
    for (let i = 0; i < count; i++) {
      const op = appends[i] as Extract<StoreOp, { op: 'append' }>;
      const ids = this.idsOf(op.destination, true)!;
      const seq = lookup === undefined ? first + i : (lookup.get(op.destination, op.message.id) as { seq: number } | undefined)?.seq;
      if (seq !== undefined) ids.set(op.message.id, seq);
    }
    params.fill(undefined);
  }

  /** The INSERT statement for `rows` rows, prepared once per row count, with its parameter array. */
  private insertFor(rows: number): { statement: Database.Statement; params: unknown[] } {
    let prepared = this.inserts[rows];
    if (prepared === undefined) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      prepared = {
        statement: this.db!.prepare(`INSERT OR IGNORE INTO messages (seq, destination, id, origin, headers, body, persistent, timestamp) VALUES ${values}`),
        params: new Array<unknown>(rows * 8),
      };
      this.inserts[rows] = prepared;
    }
    return prepared;
  }

  /**
   * Deletes the rows removed in this batch, as ranges of consecutive sequence numbers: every
   * number inside a range is being removed, so no other row is touched. Rows removed by a later
   * purge or delete-destination of the same batch are gone already; deleting them again is a no-op.
   */
  private removeRows(): void {
    const seqs = this.removals;
    if (seqs.length === 0) return;
    this.removals = [];
    seqs.sort(ascending);
    const range = this.statements!.removeRange;
    let from = seqs[0]!;
    let to = from;
    for (let i = 1; i < seqs.length; i++) {
      const seq = seqs[i]!;
      if (seq === to + 1 || seq === to) {
        to = seq;
        continue;
      }
      range.run(from, to);
      from = to = seq;
    }
    range.run(from, to);
  }

  private idsOf(destination: string, create: boolean): Map<string, number> | undefined {
    let ids = this.seqs.get(destination);
    if (ids === undefined && create) {
      ids = new Map();
      this.seqs.set(destination, ids);
    }
    return ids;
  }

  private forgetDestination(destination: string): void {
    this.seqs.delete(destination);
  }

  private open(): Statements {
    if (this.statements === undefined) throw new Error('the sqlite store is not open');
    return this.statements;
  }
}

function prepareStatements(db: Database.Database): Statements {
  return {
    seqOf: db.prepare('SELECT seq FROM messages WHERE destination = ? AND id = ?'),
    delivered: db.prepare('UPDATE messages SET delivery_count = delivery_count + 1 WHERE destination = ? AND id = ?'),
    deliveredBySeq: db.prepare('UPDATE messages SET delivery_count = delivery_count + 1 WHERE seq = ?'),
    remove: db.prepare('DELETE FROM messages WHERE destination = ? AND id = ?'),
    removeRange: db.prepare('DELETE FROM messages WHERE seq >= ? AND seq <= ?'),
    purge: db.prepare('DELETE FROM messages WHERE destination = ?'),
    saveDestination: db.prepare(
      'INSERT INTO destinations (name, type, children) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type, children = excluded.children',
    ),
    deleteDestination: db.prepare('DELETE FROM destinations WHERE name = ?'),
    destinations: db.prepare('SELECT name, type, children FROM destinations ORDER BY position'),
    // sqlite_autoindex_messages_1 is the UNIQUE (destination, id) index.
    replay: db.prepare(
      'SELECT seq, id, origin, headers, body, persistent, timestamp, delivery_count FROM messages INDEXED BY sqlite_autoindex_messages_1 WHERE destination = ? ORDER BY seq',
    ),
  };
}

function ascending(a: number, b: number): number {
  return a - b;
}

/** Most messages carry no header of their sender's own: `{}` needs no JSON.stringify. */
function headersJson(headers: Readonly<Record<string, string>>): string {
  for (const _ in headers) return JSON.stringify(headers);
  return '{}';
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
