/**
 * A Store in one SQLite file (better-sqlite3): the embedded durable default. This file is the
 * store's life: setup, the writes, reading back, close. The rest, one concern a file:
 *
 * - store-file.ts: opening the file — WAL journal with `synchronous=FULL` (a committed transaction
 *   is on disk before write() resolves, and survives a crash of the process or of the machine),
 *   `locking_mode=EXCLUSIVE` (one broker per file), the schema (schema.ts), renumbering at start.
 * - batch-writer.ts: one transaction per write(): core's group commit hands over a whole turn's
 *   worth of appends, acknowledgements, delivery marks and horizons at once, so one fsync covers
 *   them all. Segments (schema.ts): the messages one batch appends to one destination are one row.
 * - segment-index.ts: the index, in memory — for every destination, its messages' ids and places
 *   (segment, slot) in append order. Built by one scan of the ids at setup (segment-reader.ts),
 *   kept up to date by every batch, rebuilt after a batch that failed (its changes were rolled back).
 * - segment-reader.ts: the index at setup and the messages of a replay.
 * - recovery-records.ts: the clean-stop marker and the delivery horizons (Store.recovery).
 * - disk-space.ts and ballast.ts: a full disk — checkpoints when queues drain or the WAL outgrows
 *   the free space, a reserve kept for acknowledgements, a ballast file released when a write finds
 *   no room, the disk-full error. A file opens on a full disk (setup writes nothing to a file of
 *   this format), and a new one that cannot be created yet is created by the first write that
 *   finds room.
 *
 * better-sqlite3 is synchronous: a commit blocks the event loop for the length of its fsync. That
 * is what makes the batches grow under load (everything that arrives meanwhile forms the next).
 */
import type Database from 'better-sqlite3';
import type { Logger, Store, StoreOp, StoredDestination, StoredMessage, StoredRecovery } from '@wharf/core';
import { BatchWriter } from './batch-writer.js';
import { DiskSpace, diskFullError, PROBE_MS } from './disk-space.js';
import { RecoveryRecords } from './recovery-records.js';
import { SegmentIndex } from './segment-index.js';
import { SegmentReader } from './segment-reader.js';
import { prepareStatements, type Statements } from './statements.js';
import { openDatabase, RENUMBER_AFTER, renumberSegments, type SynchronousMode } from './store-file.js';
import { unreadable } from './store-errors.js';

export { RENUMBER_AFTER, type SynchronousMode } from './store-file.js';

export interface SqliteStoreOptions {
  /** The database file (absolute, or relative to the process's working directory), or `:memory:`. */
  readonly path: string;
  /** SQLite's `synchronous` pragma: FULL (default) syncs every commit; NORMAL may lose the last commits on power loss. */
  readonly synchronous?: SynchronousMode;
  /** How long setup waits for a file another process holds, in ms (default 2000). */
  readonly lockTimeoutMs?: number;
  readonly logger?: Logger;
}

interface DestinationRow {
  name: string;
  type: string;
  children: string | null;
}

/** What an open file comes with. */
interface OpenFile {
  readonly db: Database.Database;
  readonly statements: Statements;
  readonly reader: SegmentReader;
  readonly writer: BatchWriter;
  readonly recoveryRecords: RecoveryRecords;
  /** Checkpoints for a disk that fills, the ballast, and the disk-full error; none for `:memory:`. */
  readonly space: DiskSpace | undefined;
}

export class SqliteStore implements Store {
  readonly name = 'sqlite';
  private file: OpenFile | undefined;
  /** Where every message is. Valid only while `indexed`. */
  private readonly index = new SegmentIndex();
  /** False after a failed batch until the index was built again from the file. */
  private indexed = false;
  /** Set (to when it was last tried) while a new file could not be created for a full disk. */
  private uncreated: number | undefined;

  constructor(readonly options: SqliteStoreOptions) {}

  /** The open connection (for tests and diagnostics), or undefined. */
  get database(): Database.Database | undefined {
    return this.file?.db;
  }

  /** The ballast file's path (ballast.ts), or undefined (`:memory:`, or not open). */
  get ballastPath(): string | undefined {
    return this.file?.space?.ballast.path;
  }

  async setup(): Promise<void> {
    if (this.file !== undefined || this.uncreated !== undefined) return;
    if (this.openFile()) return;
    // A new store on a full disk: there is nothing to restore, so the broker may start; durable
    // sends are refused until the file can be created (write() tries again, disk-space.ts).
    this.uncreated = Date.now();
    this.options.logger?.warn({ path: this.options.path }, 'sqlite store: the disk is full, the store file could not be created; durable messages are refused until there is room');
  }

  /** Opens (or creates) the file and builds the index. False when the file holds nothing and the disk had no room to create it. */
  private openFile(): boolean {
    const { path, logger } = this.options;
    const synchronous = this.options.synchronous ?? 'FULL';
    const db = openDatabase({ path, synchronous, lockTimeoutMs: this.options.lockTimeoutMs ?? 2000 });
    if (db === undefined) return false;
    const statements = prepareStatements(db);
    const reader = new SegmentReader(statements, this.index, path);
    const recoveryRecords = new RecoveryRecords(db);
    this.file = {
      db, statements, reader, recoveryRecords,
      writer: new BatchWriter(db, statements, this.index, reader, recoveryRecords),
      space: path === ':memory:' ? undefined : new DiskSpace(db, path, logger),
    };
    try {
      if (((statements.lastSeq.pluck().get() as number | null) ?? 0) > RENUMBER_AFTER) renumberSegments(db, path, logger);
      this.buildIndex();
    } catch (err) {
      this.closeFile(); // a damaged file: let go of it (and of its lock)
      throw unreadable(path, err);
    }
    logger?.info({ path, journal: 'wal', synchronous }, 'sqlite store open');
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
    const file = this.file;
    if (file === undefined) throw new Error('the sqlite store is not open');
    if (ops.length === 0) return;
    const { space } = file;
    space?.beforeWrite(ops);
    try {
      this.applyBatch(file, ops);
    } catch (err) {
      if (space === undefined) throw err;
      const { error, retry } = space.failed(err, ops);
      if (!retry) throw error;
      // The disk was full and the ballast is released now (ballast.ts): a batch without appends —
      // horizons, the clean marker, removals, delivery marks — goes into the room it gave back.
      try {
        this.applyBatch(file, ops);
      } catch (again) {
        throw space.failed(again, ops).error;
      }
    }
    space?.committed(this.index.segments.size);
  }

  /**
   * One transaction: rolled back whole if any operation throws. The index then holds changes the
   * file does not: it is built again from the file before it is used next. Failures are rare (a
   * full disk); the happy path keeps no undo log.
   */
  private applyBatch(file: OpenFile, ops: readonly StoreOp[]): void {
    if (!this.indexed) this.buildIndex();
    try {
      file.writer.apply(ops);
    } catch (err) {
      this.indexed = false;
      throw err;
    } finally {
      file.writer.endBatch();
    }
  }

  async destinations(): Promise<StoredDestination[]> {
    if (this.uncreated !== undefined) return [];
    const rows = this.open().statements.destinations.all() as DestinationRow[];
    return rows.map((row) => ({
      name: row.name,
      type: row.type,
      ...(row.children !== null ? { children: JSON.parse(row.children) as string[] } : {}),
    }));
  }

  /**
   * A destination's messages in append order, all read before the first is yielded (no cursor
   * stays open across yields, so writes may come between them). The messages of one destination
   * are in memory at once — as its queue will hold them anyway.
   */
  async *replay(destination: string): AsyncIterable<StoredMessage> {
    if (this.uncreated !== undefined) return;
    const file = this.open();
    if (!this.indexed) this.buildIndex();
    for (const stored of file.reader.messagesOf(destination)) yield stored;
  }

  async recovery(): Promise<StoredRecovery> {
    return this.open().recoveryRecords.read();
  }

  async close(): Promise<void> {
    this.closeFile();
  }

  private closeFile(): void {
    const db = this.file?.db;
    this.uncreated = undefined;
    this.file = undefined;
    this.index.clear();
    this.indexed = false;
    db?.close();
  }

  private buildIndex(): void {
    this.open().reader.buildIndex();
    this.indexed = true;
  }

  private open(): OpenFile {
    if (this.file === undefined) throw new Error('the sqlite store is not open');
    return this.file;
  }
}
