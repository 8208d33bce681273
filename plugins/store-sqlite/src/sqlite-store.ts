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
 * - Small rows with no index but the sequence number (schema.ts): the cost of a message is one
 *   B-tree insert and one B-tree delete.
 * - The row index, in memory: for every destination, its messages' ids and sequence numbers in
 *   append order. Built by one scan at setup, kept up to date by every batch, rebuilt after a
 *   batch that failed (its changes were rolled back). Appends of a known id are ignored, an
 *   acknowledgement or a delivery mark finds its row by primary key, a purge knows its rows, and
 *   the removals of one batch go out as ranges of consecutive sequence numbers: a queue
 *   acknowledged in order costs one DELETE statement per batch, not one per message.
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
import { prepareSchema } from './schema.js';

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

/** Pages written to the WAL before SQLite copies them into the database file (its default: 1000). */
const WAL_AUTOCHECKPOINT = 10_000;
/** The page cache, in KiB (negative: SQLite's unit for a size in KiB); memory is taken as pages are used. */
const CACHE_SIZE_KIB = 65_536;
/** Most rows one INSERT statement writes (8 parameters each: well under SQLite's limit of 32766). */
const INSERT_ROWS = 32;
/** Columns of an inserted row. */
const INSERT_COLUMNS = 8;

interface Statements {
  readonly delivered: Database.Statement;
  readonly removeRange: Database.Statement;
  readonly saveDestination: Database.Statement;
  readonly deleteDestination: Database.Statement;
  readonly destinations: Database.Statement;
  readonly newKey: Database.Statement;
  readonly keys: Database.Statement;
  readonly rowIndex: Database.Statement;
  readonly rowsBetween: Database.Statement;
}

interface MessageRow {
  id: string;
  origin: string | null;
  headers: string | null;
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

/** The row index's entry for one destination. */
interface Rows {
  /** Its key in the file (destination_keys). */
  readonly key: number;
  /** Message id -> sequence number, in append order (a Map keeps insertion order). */
  readonly ids: Map<string, number>;
}

/** An append waiting to be inserted with the next multi-row INSERT. */
interface PendingRow {
  readonly seq: number;
  readonly key: number;
  readonly destination: string;
  readonly message: Message;
}

/** Shared by every replayed message whose sender set no header of its own: nothing may change it. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  private apply: ((ops: readonly StoreOp[]) => void) | undefined;
  /** The row index: destination name -> its rows. Valid only while `indexed`. */
  private readonly rows = new Map<string, Rows>();
  /** False after a failed batch until the index was built again from the file. */
  private indexed = false;
  /** The next sequence number to give (one more than the largest in the file when indexed). */
  private nextSeq = 1;
  /** Rows to delete at the end of the batch's transaction, by sequence number. */
  private removals: number[] = [];
  /** Appends of the batch not inserted yet (up to INSERT_ROWS, inserted with one statement). */
  private appends: PendingRow[] = [];
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
      // Takes the exclusive lock now: a second broker on the same file fails here.
      db.exec('BEGIN IMMEDIATE');
      prepareSchema(db, path);
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        throw new Error(`${path} is in use by another process (another broker?): ${(err as Error).message}`);
      }
      throw err;
    }
    this.db = db;
    this.statements = prepareStatements(db);
    this.apply = db.transaction((ops: readonly StoreOp[]) => {
      for (let i = 0; i < ops.length; i++) this.applyOne(ops[i]!);
      this.insertAppends();
      this.removeRows();
    });
    this.buildIndex();
    this.options.logger?.info({ path, journal: 'wal', synchronous }, 'sqlite store open');
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    if (this.apply === undefined) throw new Error('the sqlite store is not open');
    if (ops.length === 0) return;
    if (!this.indexed) this.buildIndex();
    // One transaction: rolled back whole if any operation throws. The row index then holds
    // changes the file does not: it is built again from the file before it is used next.
    // Failures are rare (a full disk); the happy path keeps no undo log.
    try {
      this.apply(ops);
    } catch (err) {
      this.indexed = false;
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
   * A destination's rows in append order, all read before the first is yielded (no cursor stays
   * open across yields, so writes may come between them). Runs of consecutive sequence numbers are
   * read with one statement each; the rows of one destination are in memory at once — as its
   * queue will hold them anyway.
   */
  async *replay(destination: string): AsyncIterable<StoredMessage> {
    const statements = this.open();
    if (!this.indexed) this.buildIndex();
    const ids = this.rows.get(destination)?.ids;
    if (ids === undefined || ids.size === 0) return;
    const rows: MessageRow[] = [];
    const read = (from: number, to: number): void => {
      for (const row of statements.rowsBetween.all(from, to) as MessageRow[]) rows.push(row);
    };
    let from = -1;
    let to = -1;
    for (const seq of ids.values()) {
      if (seq === to + 1) {
        to = seq;
        continue;
      }
      if (from >= 0) read(from, to);
      from = to = seq;
    }
    read(from, to);
    for (const row of rows) yield { message: toMessage(row, destination), deliveryCount: row.delivery_count };
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = undefined;
    this.statements = undefined;
    this.apply = undefined;
    this.inserts = [];
    this.rows.clear();
    this.indexed = false;
    db?.close();
  }

  // ------------------------------------------------------------------ the row index

  /** Reads every destination key and every row's (seq, destination, id), in append order. */
  private buildIndex(): void {
    const s = this.open();
    this.rows.clear();
    const byKey = new Map<number, Rows>();
    for (const [key, name] of s.keys.raw().iterate() as IterableIterator<[number, string]>) {
      const rows: Rows = { key, ids: new Map() };
      this.rows.set(name, rows);
      byKey.set(key, rows);
    }
    let last = 0;
    for (const [seq, key, id] of s.rowIndex.raw().iterate() as IterableIterator<[number, number, string]>) {
      byKey.get(key)?.ids.set(id, seq);
      last = seq;
    }
    this.nextSeq = last + 1;
    this.indexed = true;
  }

  /** The rows of `destination`; a destination new to the file gets its key (inside the batch's transaction). */
  private rowsOf(destination: string): Rows {
    let rows = this.rows.get(destination);
    if (rows === undefined) {
      const key = Number(this.statements!.newKey.run(destination).lastInsertRowid);
      rows = { key, ids: new Map() };
      this.rows.set(destination, rows);
    }
    return rows;
  }

  // ------------------------------------------------------------------ inside a batch's transaction

  private applyOne(op: StoreOp): void {
    const s = this.statements!;
    switch (op.op) {
      case 'append': {
        const rows = this.rowsOf(op.destination);
        // Already there: appends of a known id are ignored.
        if (rows.ids.has(op.message.id)) return;
        const seq = this.nextSeq++;
        rows.ids.set(op.message.id, seq);
        this.appends.push({ seq, key: rows.key, destination: op.destination, message: op.message });
        if (this.appends.length === INSERT_ROWS) this.insertAppends();
        return;
      }
      case 'delivered': {
        const seq = this.rows.get(op.destination)?.ids.get(op.id);
        if (seq === undefined) return;
        // The row may be among the appends not inserted yet.
        this.insertAppends();
        s.delivered.run(seq);
        return;
      }
      case 'remove': {
        // Deleted at the end of the transaction, after the appends: a row appended and removed
        // in one batch is inserted first, and an id removed and appended again has a new row.
        const ids = this.rows.get(op.destination)?.ids;
        const seq = ids?.get(op.id);
        if (seq === undefined) return;
        ids!.delete(op.id);
        this.removals.push(seq);
        return;
      }
      case 'purge':
        this.forgetRows(op.destination);
        return;
      case 'save-destination': {
        const d = op.destination;
        s.saveDestination.run(d.name, d.type, d.children === undefined ? null : JSON.stringify(d.children));
        return;
      }
      case 'delete-destination':
        this.forgetRows(op.name);
        s.deleteDestination.run(op.name);
        return;
      default:
        throw new Error(`unknown store operation ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }

  /** Every row of `destination` goes with the batch's removals. */
  private forgetRows(destination: string): void {
    const ids = this.rows.get(destination)?.ids;
    if (ids === undefined) return;
    for (const seq of ids.values()) this.removals.push(seq);
    ids.clear();
  }

  /**
   * Inserts the appends collected so far with one statement: per statement, SQLite and the binding
   * layer cost about as much as a row.
   */
  private insertAppends(): void {
    const appends = this.appends;
    const count = appends.length;
    if (count === 0) return;
    this.appends = [];
    const { statement, params } = this.insertFor(count);
    for (let i = 0, p = 0; i < count; i++) {
      const { seq, key, destination, message: m } = appends[i]!;
      params[p++] = seq;
      params[p++] = key;
      params[p++] = m.id;
      params[p++] = m.destination === destination ? null : m.destination;
      params[p++] = headersJson(m.headers);
      params[p++] = asBuffer(m.body);
      params[p++] = m.persistent ? 1 : 0;
      params[p++] = m.timestamp;
    }
    statement.run(params);
    params.fill(undefined);
  }

  /** The INSERT statement for `rows` rows, prepared once per row count, with its parameter array. */
  private insertFor(rows: number): { statement: Database.Statement; params: unknown[] } {
    let prepared = this.inserts[rows];
    if (prepared === undefined) {
      const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
      prepared = {
        statement: this.db!.prepare(`INSERT INTO messages (seq, destination, id, origin, headers, body, persistent, timestamp) VALUES ${values}`),
        params: new Array<unknown>(rows * INSERT_COLUMNS),
      };
      this.inserts[rows] = prepared;
    }
    return prepared;
  }

  /**
   * Deletes the rows removed in this batch, as ranges of consecutive sequence numbers: every
   * number inside a range is being removed, so no other row is touched.
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
      if (seq === to + 1) {
        to = seq;
        continue;
      }
      range.run(from, to);
      from = to = seq;
    }
    range.run(from, to);
  }

  private open(): Statements {
    if (this.statements === undefined) throw new Error('the sqlite store is not open');
    return this.statements;
  }
}

function prepareStatements(db: Database.Database): Statements {
  return {
    delivered: db.prepare('UPDATE messages SET delivery_count = delivery_count + 1 WHERE seq = ?'),
    removeRange: db.prepare('DELETE FROM messages WHERE seq >= ? AND seq <= ?'),
    saveDestination: db.prepare(
      'INSERT INTO destinations (name, type, children) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type, children = excluded.children',
    ),
    deleteDestination: db.prepare('DELETE FROM destinations WHERE name = ?'),
    destinations: db.prepare('SELECT name, type, children FROM destinations ORDER BY position'),
    newKey: db.prepare('INSERT INTO destination_keys (name) VALUES (?)'),
    keys: db.prepare('SELECT key, name FROM destination_keys'),
    rowIndex: db.prepare('SELECT seq, destination, id FROM messages ORDER BY seq'),
    rowsBetween: db.prepare(
      'SELECT id, origin, headers, body, persistent, timestamp, delivery_count FROM messages WHERE seq >= ? AND seq <= ? ORDER BY seq',
    ),
  };
}

function ascending(a: number, b: number): number {
  return a - b;
}

/** Most messages carry no header of their sender's own: stored as NULL, no JSON.stringify. */
function headersJson(headers: Readonly<Record<string, string>>): string | null {
  for (const _ in headers) return JSON.stringify(headers);
  return null;
}

/** better-sqlite3 binds Buffers as BLOBs: a view over the same bytes, no copy. */
function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function toMessage(row: MessageRow, destination: string): Message {
  return {
    id: row.id,
    destination: row.origin ?? destination,
    headers: row.headers === null ? NO_HEADERS : JSON.parse(row.headers) as Record<string, string>,
    body: row.body,
    persistent: row.persistent === 1,
    timestamp: row.timestamp,
  };
}
