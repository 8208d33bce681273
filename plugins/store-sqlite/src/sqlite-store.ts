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
 * - Segments (schema.ts): the messages one batch appends to one destination are one row, so a
 *   busy batch costs SQLite one insert per destination, not one per message; a segment whose
 *   messages are all acknowledged goes with one delete (consecutive ones with one statement), one
 *   with some left keeps a bitmap of its removed slots, and one with a quarter or less left is
 *   rewritten with those only (compact()).
 * - The index, in memory (segment-index.ts): for every destination, its messages' ids and places
 *   (segment, slot) in append order, and for every segment its live count and removed slots.
 *   Built by one scan of the ids at setup, kept up to date by every batch, rebuilt after a batch
 *   that failed (its changes were rolled back). Appends of a known id are ignored; an
 *   acknowledgement or a delivery mark finds its message's place without a query.
 * - A WAL of up to WAL_AUTOCHECKPOINT pages between checkpoints, and a page cache that can hold
 *   a busy batch: messages live briefly (appended, then removed a few batches later), so most of
 *   their pages are rewritten in the WAL many times and copied to the database file once.
 *
 * - A full disk (disk-space.ts): checkpoints when queues drain or the WAL outgrows the free space,
 *   a reserve kept for acknowledgements, the disk-full error; a file opens on a full disk (setup
 *   writes nothing to a file of this format), and a new one that cannot be created yet is created
 *   by the first write that finds room.
 *
 * better-sqlite3 is synchronous: a commit blocks the event loop for the length of its fsync. That
 * is what makes the batches grow under load (everything that arrives meanwhile forms the next).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCodes, WharfError, type Logger, type Message, type Store, type StoreOp, type StoredDestination, type StoredMessage, type StoredRecovery } from '@wharf/core';
import { DiskSpace, diskFullError, isDiskFull, JOURNAL_SIZE_LIMIT, PROBE_MS } from './disk-space.js';
import { RecoveryRecords } from './recovery-records.js';
import { prepareSchema } from './schema.js';
import { decodeSegment, SegmentEncoder, segmentIds } from './segment-codec.js';
import { forEachRun, isRemoved, MAX_SEQ, SegmentIndex, seqOf, SLOT_SPACE, type Segment } from './segment-index.js';

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
/** Segment numbers only grow; past this one they are renumbered at start (segment-index.ts, MAX_SEQ). */
export const RENUMBER_AFTER = Math.floor(MAX_SEQ / 2);
/** What a user can do about a damaged file. */
const RESTORE_OR_MOVE = 'restore the file from a backup, or move it away to start with an empty store (its messages are then lost)';
/** A segment of at least this many slots ... */
const COMPACT_MIN_SLOTS = 8;
/** ... is rewritten with its live messages once no more than one in this many is left. */
const COMPACT_RATIO = 4;

interface Statements {
  readonly insertSegment: Database.Statement;
  readonly deleteSegments: Database.Statement;
  readonly rewriteSegment: Database.Statement;
  readonly setCount: Database.Statement;
  readonly saveGaps: Database.Statement;
  readonly deleteGaps: Database.Statement;
  readonly countDelivery: Database.Statement;
  readonly deleteCounts: Database.Statement;
  readonly saveDestination: Database.Statement;
  readonly deleteDestination: Database.Statement;
  readonly destinations: Database.Statement;
  readonly newKey: Database.Statement;
  readonly keys: Database.Statement;
  readonly segmentIndex: Database.Statement;
  readonly allGaps: Database.Statement;
  readonly countedSegments: Database.Statement;
  readonly lastSeq: Database.Statement;
  readonly segmentsBetween: Database.Statement;
  readonly countsBetween: Database.Statement;
}

interface DestinationRow {
  name: string;
  type: string;
  children: string | null;
}

/** A segment read back: its messages by slot, and the delivery counts of those that have one. */
interface ReadSegment {
  readonly messages: Message[];
  counts: Map<number, number> | undefined;
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  private recoveryRecords: RecoveryRecords | undefined;
  private apply: ((ops: readonly StoreOp[]) => void) | undefined;
  /** Where every message is. Valid only while `indexed`. */
  private readonly index = new SegmentIndex();
  /** False after a failed batch until the index was built again from the file. */
  private indexed = false;
  private readonly encoder = new SegmentEncoder();
  /** Checkpoints for a disk that fills, and the disk-full error (disk-space.ts); none for `:memory:`. */
  private space: DiskSpace | undefined;
  /** Set (to when it was last tried) while a new file could not be created for a full disk. */
  private uncreated: number | undefined;

  constructor(readonly options: SqliteStoreOptions) {}

  /** The open connection (for tests and diagnostics), or undefined. */
  get database(): Database.Database | undefined {
    return this.db;
  }

  async setup(): Promise<void> {
    if (this.db !== undefined || this.uncreated !== undefined) return;
    if (this.openFile()) return;
    // A new store on a full disk: there is nothing to restore, so the broker may start; durable
    // sends are refused until the file can be created (write() tries again, disk-space.ts).
    this.uncreated = Date.now();
    this.options.logger?.warn({ path: this.options.path }, 'sqlite store: the disk is full, the store file could not be created; durable messages are refused until there is room');
  }

  /** Opens (or creates) the file and builds the index. False when the file holds nothing and the disk had no room to create it. */
  private openFile(): boolean {
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
      db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      db.pragma(`cache_size = -${CACHE_SIZE_KIB}`);
      // Takes the exclusive lock now: a second broker on the same file fails here.
      db.exec('BEGIN IMMEDIATE');
      prepareSchema(db, path);
      db.exec('COMMIT');
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      const empty = isDiskFull(err) && holdsNothing(db);
      db.close();
      if (empty) return false;
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
        throw new Error(`${path} is in use by another process (another broker?): ${(err as Error).message}`);
      }
      throw this.unreadable(err);
    }
    this.db = db;
    if (path !== ':memory:') this.space = new DiskSpace(db, path, this.options.logger);
    this.statements = prepareStatements(db);
    this.recoveryRecords = new RecoveryRecords(db);
    this.apply = db.transaction((ops: readonly StoreOp[]) => {
      for (let i = 0; i < ops.length; i++) this.applyOne(ops[i]!);
      this.insertSegments();
      this.settleRemovals();
    });
    try {
      if (((this.statements.lastSeq.pluck().get() as number | null) ?? 0) > RENUMBER_AFTER) this.renumberSegments();
      this.buildIndex();
    } catch (err) {
      this.closeFile(); // a damaged file: let go of it (and of its lock)
      throw this.unreadable(err);
    }
    this.options.logger?.info({ path, journal: 'wal', synchronous }, 'sqlite store open');
    return true;
  }

  /** A store that could not be created on a full disk tries again (not more often than PROBE_MS). */
  private create(): void {
    const detail = `${this.options.path} could not be created (SQLite: database or disk is full)`;
    if (Date.now() - this.uncreated! < PROBE_MS) throw diskFullError(this.options.path, detail);
    this.uncreated = Date.now();
    if (!this.openFile()) throw diskFullError(this.options.path, detail);
    this.uncreated = undefined;
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    if (this.uncreated !== undefined && ops.length > 0) this.create();
    if (this.apply === undefined) throw new Error('the sqlite store is not open');
    if (ops.length === 0) return;
    this.space?.beforeWrite(ops);
    if (!this.indexed) this.buildIndex();
    // One transaction: rolled back whole if any operation throws. The index then holds changes
    // the file does not: it is built again from the file before it is used next. Failures are
    // rare (a full disk); the happy path keeps no undo log.
    try {
      this.apply(ops);
    } catch (err) {
      this.indexed = false;
      throw this.space === undefined ? err : this.space.failed(err);
    } finally {
      this.index.endBatch();
      this.encoder.trim();
    }
    this.space?.committed(this.index.segments.size);
  }

  async destinations(): Promise<StoredDestination[]> {
    if (this.uncreated !== undefined) return [];
    const rows = this.open().destinations.all() as DestinationRow[];
    return rows.map((row) => ({
      name: row.name,
      type: row.type,
      ...(row.children !== null ? { children: JSON.parse(row.children) as string[] } : {}),
    }));
  }

  /**
   * A destination's messages in append order, all read before the first is yielded (no cursor
   * stays open across yields, so writes may come between them). Its segments are read by runs of
   * consecutive numbers, one statement per run, and each is decoded once. The messages of one
   * destination are in memory at once — as its queue will hold them anyway.
   */
  async *replay(destination: string): AsyncIterable<StoredMessage> {
    if (this.uncreated !== undefined) return;
    this.open();
    if (!this.indexed) this.buildIndex();
    const ids = this.index.rows.get(destination)?.ids;
    if (ids === undefined || ids.size === 0) return;
    // Places are in append order, so a destination's segment numbers come in increasing order.
    const seqs: number[] = [];
    for (const place of ids.values()) {
      const seq = seqOf(place);
      if (seq !== seqs[seqs.length - 1]) seqs.push(seq);
    }
    const decoded = new Map<number, ReadSegment>();
    forEachRun(seqs, (from, to) => this.readSegments(destination, from, to, decoded));
    const replayed: StoredMessage[] = new Array(ids.size);
    let n = 0;
    for (const place of ids.values()) {
      const seq = seqOf(place);
      const slot = place - seq * SLOT_SPACE;
      const segment = decoded.get(seq)!;
      replayed[n++] = { message: segment.messages[slot]!, deliveryCount: segment.counts?.get(slot) ?? 0 };
    }
    for (const stored of replayed) yield stored;
  }

  /** Reads and decodes the segments numbered `from` to `to` (all of `destination`), with their delivery counts. */
  private readSegments(
    destination: string, from: number, to: number,
    into: Map<number, ReadSegment>,
  ): void {
    const s = this.open();
    let rows: Array<[number, string, Buffer]>;
    try {
      rows = s.segmentsBetween.raw().all(from, to) as Array<[number, string, Buffer]>;
    } catch (err) {
      throw this.unreadable(err);
    }
    for (const [seq, ids, data] of rows) {
      let messages: Message[];
      try {
        messages = decodeSegment(segmentIds(ids), data, destination);
      } catch (err) {
        throw this.damaged(seq, `its messages for ${destination}`, err);
      }
      into.set(seq, { messages, counts: undefined });
    }
    let counted = false;
    for (let seq = from; seq <= to && !counted; seq++) counted = this.index.segments.get(seq)?.counted === true;
    if (!counted) return;
    for (const [seq, slot, count] of s.countsBetween.raw().all(from, to) as Array<[number, number, number]>) {
      const segment = into.get(seq);
      if (segment === undefined) continue;
      (segment.counts ??= new Map()).set(slot, count);
    }
  }

  async recovery(): Promise<StoredRecovery> {
    this.open();
    return this.recoveryRecords!.read();
  }

  async close(): Promise<void> {
    this.closeFile();
  }

  private closeFile(): void {
    const db = this.db;
    this.uncreated = undefined;
    this.space = undefined;
    this.db = undefined;
    this.statements = undefined;
    this.recoveryRecords = undefined;
    this.apply = undefined;
    this.index.clear();
    this.indexed = false;
    db?.close();
  }

  // ------------------------------------------------------------------ the index

  /** Reads every destination key, every segment's ids and every bitmap of removed slots. */
  private buildIndex(): void {
    const s = this.open();
    const parse = (seq: number, ids: string): string[] => {
      try {
        const list = segmentIds(ids);
        if (!Array.isArray(list)) throw new Error('the ids are not a list');
        if (list.length > SLOT_SPACE) throw new Error(`${list.length} ids, more than a segment holds (${SLOT_SPACE})`);
        return list;
      } catch (err) {
        throw this.damaged(seq, 'its ids', err);
      }
    };
    const segments = function* (): Generator<[number, number, string[]]> {
      for (const [seq, key, ids] of s.segmentIndex.raw().iterate() as IterableIterator<[number, number, string]>) yield [seq, key, parse(seq, ids)];
    };
    // Each statement is read to its end before the next starts (better-sqlite3 runs one at a time).
    this.index.load(
      s.keys.raw().all() as Array<[number, string]>,
      s.allGaps.raw().all() as Array<[number, Buffer]>,
      s.countedSegments.raw().all() as Array<[number]>,
      segments(),
      s.lastSeq.pluck().get() as number | null,
    );
    this.indexed = true;
  }

  /**
   * Gives the segments the numbers 1, 2, 3, … in their order, with their gaps and delivery counts,
   * in one transaction. Numbers only grow, and a message's place in the index (segment × slots +
   * slot) must stay exact in a double: at start, once half of them are used, they begin again.
   */
  private renumberSegments(): void {
    const db = this.db!;
    const seqs = db.prepare('SELECT seq FROM segments ORDER BY seq').pluck().all() as number[];
    const moves = ['segments', 'segment_gaps', 'delivery_counts'].map((table) => db.prepare(`UPDATE ${table} SET seq = ? WHERE seq = ?`));
    const renumber = db.transaction(() => {
      db.exec('DELETE FROM segment_gaps WHERE seq NOT IN (SELECT seq FROM segments); DELETE FROM delivery_counts WHERE seq NOT IN (SELECT seq FROM segments)');
      // In ascending order each new number is free: it is at most the old one, and every
      // smaller old one has moved already.
      seqs.forEach((old, i) => {
        if (old !== i + 1) for (const move of moves) move.run(i + 1, old);
      });
    });
    try {
      renumber();
    } catch (err) {
      if (!isDiskFull(err)) throw err;
      // Rolled back; the numbers left still fit (RENUMBER_AFTER is half of them): a later start renumbers.
      this.options.logger?.warn({ path: this.options.path }, 'sqlite store: the disk is full, segments not renumbered this time');
      return;
    }
    this.options.logger?.info({ segments: seqs.length, last: seqs[seqs.length - 1] }, 'sqlite store: segments renumbered from 1');
  }

  /** A destination new to the file gets its key (inside the batch's transaction). */
  private readonly newKey = (destination: string): number => Number(this.statements!.newKey.run(destination).lastInsertRowid);

  // ------------------------------------------------------------------ inside a batch's transaction

  private applyOne(op: StoreOp): void {
    const s = this.statements!;
    switch (op.op) {
      case 'append':
        // An id already there is ignored.
        this.index.append(this.index.rowsOf(op.destination, this.newKey), op.message);
        return;
      case 'delivered': {
        const place = this.index.placeOf(op.destination, op.id);
        if (place === undefined) return;
        const segment = this.index.segmentAt(place);
        s.countDelivery.run(segment.seq, place - segment.seq * SLOT_SPACE);
        segment.counted = true;
        return;
      }
      case 'remove':
        this.index.remove(op.destination, op.id);
        return;
      case 'purge':
        this.index.forget(op.destination);
        return;
      case 'save-destination': {
        const d = op.destination;
        s.saveDestination.run(d.name, d.type, d.children === undefined ? null : JSON.stringify(d.children));
        return;
      }
      case 'delete-destination':
        this.index.forget(op.name);
        s.deleteDestination.run(op.name);
        this.recoveryRecords!.forget(op.name);
        return;
      case 'horizon':
        this.recoveryRecords!.horizon(op.destination, op.horizon);
        return;
      case 'clean':
        this.recoveryRecords!.clean(op.clean);
        return;
      default:
        throw new Error(`unknown store operation ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }

  /** The segments this batch opened become rows (those whose messages are all gone already do not). */
  private insertSegments(): void {
    const insert = this.statements!.insertSegment;
    for (const segment of this.index.created) {
      const messages = segment.pending!;
      segment.pending = undefined;
      segment.pendingBytes = 0;
      segment.rows.open = undefined;
      if (segment.live === 0) continue;
      const { ids, data } = this.encoder.encodeMessages(messages, segment.rows.name);
      insert.run(segment.seq, segment.rows.key, ids, data);
      segment.inFile = true;
    }
  }

  /**
   * Segments that lost messages in this batch: deleted when none is left (runs of consecutive
   * ones with one statement), rewritten when a quarter or less is left, else their bitmap of
   * removed slots is saved.
   */
  private settleRemovals(): void {
    const touched = this.index.touched;
    if (touched.length === 0) return;
    const s = this.statements!;
    const gone: number[] = [];
    for (const segment of touched) {
      segment.touched = false;
      if (segment.live === 0) {
        this.index.drop(segment);
        if (segment.inFile) gone.push(segment.seq);
        if (segment.gapsStored) s.deleteGaps.run(segment.seq);
        if (segment.counted) s.deleteCounts.run(segment.seq);
      } else if (segment.size >= COMPACT_MIN_SLOTS && segment.live * COMPACT_RATIO <= segment.size) {
        this.compact(segment);
      } else {
        s.saveGaps.run(segment.seq, this.index.gapBitmap(segment));
        segment.gapsStored = true;
      }
    }
    gone.sort(ascending);
    forEachRun(gone, (from, to) => s.deleteSegments.run(from, to));
  }

  /**
   * Rewrites a segment with its live messages only, under the same seq (so it keeps its place in
   * its destination's order): a message that stays long does not keep its whole batch on disk.
   * A segment shrinks by COMPACT_RATIO at least each time, so the rewriting costs a bounded
   * multiple of its size over its life.
   */
  private compact(segment: Segment): void {
    const s = this.statements!;
    const { seq, rows, removed } = segment;
    const read = new Map<number, ReadSegment>();
    this.readSegments(rows.name, seq, seq, read);
    const { messages, counts } = read.get(seq)!;
    const kept: Message[] = [];
    const keptCounts: Array<[number, number]> = [];
    const base = seq * SLOT_SPACE;
    for (let slot = 0; slot < messages.length; slot++) {
      if (isRemoved(removed, slot)) continue;
      const count = counts?.get(slot);
      if (count !== undefined) keptCounts.push([kept.length, count]);
      // Setting a key already in a Map keeps its place: the destination's order stays.
      rows.ids.set(messages[slot]!.id, base + kept.length);
      kept.push(messages[slot]!);
    }
    const encoded = this.encoder.encodeMessages(kept, rows.name);
    s.rewriteSegment.run(encoded.ids, encoded.data, seq);
    if (segment.gapsStored) s.deleteGaps.run(seq);
    if (segment.counted) {
      s.deleteCounts.run(seq);
      for (const [slot, count] of keptCounts) s.setCount.run(seq, slot, count);
    }
    segment.size = segment.live = kept.length;
    segment.removed = undefined;
    segment.gapsStored = false;
    segment.counted = keptCounts.length > 0;
  }

  /** SQLite finding the file damaged, or not a database at all: say which file and what to do. */
  private unreadable(err: unknown): unknown {
    const code = (err as { code?: string }).code;
    if (code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB') return err;
    return new WharfError(ErrorCodes.STORE, `${this.options.path} is damaged or is not a Wharf store (SQLite: ${(err as Error).message})`, {
      cause: err, hint: RESTORE_OR_MOVE,
    });
  }

  /** The error for a segment row that cannot be read back: names the file and the row, says what to do. */
  private damaged(seq: number, what: string, cause: unknown): Error {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new WharfError(ErrorCodes.STORE, `${this.options.path} is damaged: segment ${seq} (table segments) cannot be read: ${what}: ${reason}`, {
      cause, hint: RESTORE_OR_MOVE,
    });
  }

  private open(): Statements {
    if (this.statements === undefined) throw new Error('the sqlite store is not open');
    return this.statements;
  }
}

function prepareStatements(db: Database.Database): Statements {
  return {
    insertSegment: db.prepare('INSERT INTO segments (seq, destination, ids, data) VALUES (?, ?, ?, ?)'),
    deleteSegments: db.prepare('DELETE FROM segments WHERE seq >= ? AND seq <= ?'),
    rewriteSegment: db.prepare('UPDATE segments SET ids = ?, data = ? WHERE seq = ?'),
    setCount: db.prepare('INSERT INTO delivery_counts (seq, slot, count) VALUES (?, ?, ?)'),
    saveGaps: db.prepare('INSERT INTO segment_gaps (seq, removed) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET removed = excluded.removed'),
    deleteGaps: db.prepare('DELETE FROM segment_gaps WHERE seq = ?'),
    countDelivery: db.prepare('INSERT INTO delivery_counts (seq, slot, count) VALUES (?, ?, 1) ON CONFLICT (seq, slot) DO UPDATE SET count = count + 1'),
    deleteCounts: db.prepare('DELETE FROM delivery_counts WHERE seq = ?'),
    saveDestination: db.prepare(
      'INSERT INTO destinations (name, type, children) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET type = excluded.type, children = excluded.children',
    ),
    deleteDestination: db.prepare('DELETE FROM destinations WHERE name = ?'),
    destinations: db.prepare('SELECT name, type, children FROM destinations ORDER BY position'),
    newKey: db.prepare('INSERT INTO destination_keys (name) VALUES (?)'),
    keys: db.prepare('SELECT key, name FROM destination_keys'),
    segmentIndex: db.prepare('SELECT seq, destination, ids FROM segments ORDER BY seq'),
    allGaps: db.prepare('SELECT seq, removed FROM segment_gaps'),
    countedSegments: db.prepare('SELECT DISTINCT seq FROM delivery_counts'),
    // A number freed by a deleted segment may be given again: its bitmap and counts went with it.
    lastSeq: db.prepare('SELECT max(seq) FROM segments'),
    segmentsBetween: db.prepare('SELECT seq, ids, data FROM segments WHERE seq >= ? AND seq <= ? ORDER BY seq'),
    countsBetween: db.prepare('SELECT seq, slot, count FROM delivery_counts WHERE seq >= ? AND seq <= ?'),
  };
}

/** True when the file has no table at all (a new file). */
function holdsNothing(db: Database.Database): boolean {
  try {
    return db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() === 0;
  } catch {
    return false;
  }
}

function ascending(a: number, b: number): number {
  return a - b;
}
