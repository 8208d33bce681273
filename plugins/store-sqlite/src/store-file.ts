/**
 * Opening the sqlite store's file (sqlite-store.ts): the pragmas, the exclusive lock, the schema,
 * and the renumbering of segments at start.
 *
 * - WAL journal with `synchronous=FULL` (or the configured mode): a committed transaction is on
 *   disk (fsync) before write() resolves.
 * - `locking_mode=EXCLUSIVE`: one broker per file. A second process that opens the file while a
 *   broker runs fails here with a clear error instead of corrupting anything; the lock goes with
 *   the process, kill -9 included.
 * - A WAL of up to WAL_AUTOCHECKPOINT pages between checkpoints, and a page cache that can hold a
 *   busy batch: messages live briefly (appended, then removed a few batches later), so most of
 *   their pages are rewritten in the WAL many times and copied to the database file once.
 * - On a full disk a file of the current format opens (nothing is written to it); a new one that
 *   cannot be created gives `undefined` (disk-space.ts).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from '@wharf/core';
import { isDiskFull, JOURNAL_SIZE_LIMIT } from './disk-space.js';
import { prepareSchema } from './schema.js';
import { MAX_SEQ } from './segment-index.js';
import { unreadable } from './store-errors.js';

export type SynchronousMode = 'FULL' | 'EXTRA' | 'NORMAL';

/** Pages written to the WAL before SQLite copies them into the database file (its default: 1000). */
const WAL_AUTOCHECKPOINT = 10_000;
/** The page cache, in KiB (negative: SQLite's unit for a size in KiB); memory is taken as pages are used. */
const CACHE_SIZE_KIB = 65_536;
/** Segment numbers only grow; past this one they are renumbered at start (segment-index.ts, MAX_SEQ). */
export const RENUMBER_AFTER = Math.floor(MAX_SEQ / 2);

export interface OpenOptions {
  readonly path: string;
  readonly synchronous: SynchronousMode;
  readonly lockTimeoutMs: number;
}

/** Opens (or creates) the file, locked, with its schema; undefined when the file holds nothing and the disk had no room to create it. */
export function openDatabase({ path, synchronous, lockTimeoutMs }: OpenOptions): Database.Database | undefined {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path, { timeout: lockTimeoutMs });
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
    if (empty) return undefined;
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new Error(`${path} is in use by another process (another broker?): ${(err as Error).message}`);
    }
    throw unreadable(path, err);
  }
  return db;
}

/**
 * Gives the segments the numbers 1, 2, 3, … in their order, with their gaps and delivery counts,
 * in one transaction. Numbers only grow, and a message's place in the index (segment × slots +
 * slot) must stay exact in a double: at start, once half of them are used, they begin again.
 */
export function renumberSegments(db: Database.Database, path: string, logger: Logger | undefined): void {
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
    logger?.warn({ path }, 'sqlite store: the disk is full, segments not renumbered this time');
    return;
  }
  logger?.info({ segments: seqs.length, last: seqs[seqs.length - 1] }, 'sqlite store: segments renumbered from 1');
}

/** True when the file has no table at all (a new file). */
function holdsNothing(db: Database.Database): boolean {
  try {
    return db.prepare('SELECT count(*) FROM sqlite_master').pluck().get() === 0;
  } catch {
    return false;
  }
}
