/**
 * Keeping a full disk from stopping the sqlite store for good (docs/durability.md, "When the store
 * fails": a full disk).
 *
 * Left alone, SQLite copies the WAL into the database file only every WAL_AUTOCHECKPOINT pages
 * (tens of MB). On a disk with less room than that the WAL fills the disk first, and then nothing
 * can be written — not even the acknowledgements that would free space — while every queue may be
 * empty. So, after a committed write (looked at once per CHECK_INTERVAL_MS, or at every commit
 * while the disk is low, LOW_SPACE_BYTES; never per message):
 * - when the store's live segments fell to zero or to a quarter of their peak (queues drained or
 *   purged), the WAL is checkpointed: little is live, so little is copied, and the WAL's space is
 *   used again from its start instead of growing. On a low disk that checkpoint is a TRUNCATE one
 *   (the WAL's blocks go back to the file system); elsewhere PASSIVE (the WAL keeps its blocks: a
 *   commit that overwrites blocks is cheaper than one that extends the file, whose fsync must also
 *   write the file's size);
 * - when the WAL file takes more than the disk has left, it is checkpointed (PASSIVE);
 * - while the disk is low, a batch with appends is refused with the disk-full error, without
 *   touching the file, once less than a reserve (RESERVE_BYTES, or an eighth of a small disk) is
 *   free even after a checkpoint: the reserve is room for the acknowledgements and checkpoints
 *   that free space. Batches without appends always go ahead.
 * A write that fails with SQLITE_FULL all the same (another process took the space) is rolled
 * back, releases the ballast (ballast.ts: a file of up to 1 MiB the store keeps for this), brings a
 * checkpoint (PASSIVE: once the WAL is copied, the next write reuses its blocks without asking the
 * disk for more) and gives the same error — except a batch without appends, which the store then
 * writes again at once, into the room the ballast gave back. The ballast is written again once the
 * disk has room for it and the reserve.
 */
import { statfsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { ErrorCodes, WharfError, type Logger, type StoreOp } from '@wharf/core';
import { Ballast } from './ballast.js';

/**
 * SQLite's `journal_size_limit`: after a checkpoint the WAL file is cut back to this size. Above
 * the WAL's checkpoint size (WAL_AUTOCHECKPOINT pages of 4 KiB, about 40 MB), so a WAL of normal
 * size keeps its blocks (see above); one that outgrew it (a very large batch) is trimmed.
 */
export const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;
/** How often, at most, a committed write looks at the WAL's size and the disk's free space (on a disk that is not low). */
export const CHECK_INTERVAL_MS = 1000;
/** A store whose file could not be created for a full disk tries again after this long at the soonest; a refused batch tries a checkpoint no more often. */
export const PROBE_MS = 250;
/** A disk with less free space than this is low: every commit looks at it, and checkpoints at a drain give the WAL's blocks back (TRUNCATE). */
export const LOW_SPACE_BYTES = 256 * 1024 * 1024;
/** The room kept for acknowledgements and checkpoints: appends are refused when less is free (or an eighth of the disk, if smaller). */
export const RESERVE_BYTES = 8 * 1024 * 1024;
/** With less free than this many reserves, every commit is checkpointed at once (the disk is nearly full). */
const TIGHT_RESERVES = 4;
/** What an append costs in the file beyond its body, about (its id, headers, record; generous). */
const APPEND_OVERHEAD_BYTES = 512;
/** What a batch costs beyond its appends, about (the pages of the tree it rewrites). */
const BATCH_OVERHEAD_BYTES = 16 * 1024;
/** A WAL smaller than this is not worth a checkpoint of its own. */
const MIN_WAL_BYTES = 256 * 1024;

/** SQLite's answer to a write the disk had no room for (ENOSPC, or a quota). */
export function isDiskFull(err: unknown): boolean {
  return (err as { code?: unknown } | undefined)?.code === 'SQLITE_FULL';
}

/** The error a durable send gets when the disk is full: what happened, and the way out. */
export function diskFullError(path: string, detail: string, cause?: unknown): WharfError {
  return new WharfError(ErrorCodes.STORE, `the disk is full: ${detail}; the message was not stored`, {
    cause,
    hint: `free space on the disk that holds ${dirname(path)} (or give the store a larger one): durable messages are accepted again as soon as there is room, without a restart`,
  });
}

const NO_ROOM = (path: string): string => `${path} has no room for the write (SQLite: database or disk is full)`;

interface Look {
  readonly free: number;
  readonly total: number;
}

export class DiskSpace {
  private readonly walPath: string;
  private readonly dir: string;
  private lookedAt = 0;
  /** The last look found less than LOW_SPACE_BYTES free: every commit looks. */
  private low = false;
  /** The store's live segments at their highest since the last checkpoint. */
  private peak = 0;
  /** When a batch with appends was last refused for a full disk; undefined once one committed. */
  private fullAt: number | undefined;
  /** Whether the batch being written has appends (looked at only while the disk is low or full). */
  private appends = true;
  private readonly pageSize: number;
  /** When a checkpoint was last tried. */
  private checkpointedAt = 0;
  /** The file of room kept for the writes a full disk must still take. */
  readonly ballast: Ballast;
  /** A batch without appends failed with the ballast gone (logged once, until a write commits). */
  private stuck = false;

  constructor(
    private readonly db: Database.Database,
    private readonly path: string,
    private readonly logger: Logger | undefined,
  ) {
    this.walPath = `${path}-wal`;
    this.dir = dirname(path);
    this.pageSize = db.pragma('page_size', { simple: true }) as number;
    const look = this.look(); // a low disk is looked at from the first batch on
    this.ballast = new Ballast(path, logger);
    this.ballast.setup(look.free, look.total, reserveOf(look));
  }

  /**
   * Before a batch is written. While the disk is low or full, one with appends is refused (throws
   * the disk-full error) when less than the reserve is free even after a checkpoint: without
   * touching the file, so a producer that keeps sending to a full disk costs a statfs a batch.
   * Batches without appends always go ahead: they are what frees space.
   */
  beforeWrite(ops: readonly StoreOp[]): void {
    if (this.fullAt === undefined && !this.low) return;
    const bytes = appendedBytes(ops);
    this.appends = bytes > 0;
    if (!this.appends) return;
    // The batch goes into the WAL, and from there into the database file at the checkpoint (into
    // its free pages first: only the rest makes the file grow).
    const need = (look: Look): number => reserveOf(look) + bytes + Math.max(0, bytes - this.freePageBytes());
    let look = this.look();
    if (look.free >= need(look)) return;
    if (Date.now() - this.checkpointedAt >= PROBE_MS) {
      // Not once per batch of a producer that keeps sending: a checkpoint the file has no room for costs I/O.
      this.checkpoint('PASSIVE');
      look = this.look();
      if (look.free >= need(look)) return;
    }
    this.refused(look.free);
    throw diskFullError(this.path, `${look.free} bytes are free on the disk of ${this.path}, less than this batch needs (about ${need(look) - reserveOf(look)}) plus the ${reserveOf(look)} kept for acknowledgements`);
  }

  /**
   * After a write of `ops` that failed (already rolled back). A full disk releases the ballast,
   * gets a checkpoint (into the released room, so that the WAL can be written again) and the clear
   * error; `retry` is true when the ballast was just released and the batch has no appends: it is
   * one of the small writes the ballast is for, and may be written again at once.
   */
  failed(err: unknown, ops: readonly StoreOp[]): { error: unknown; retry: boolean } {
    if (!isDiskFull(err)) return { error: err, retry: false };
    const released = this.ballast.release('a write found no room');
    this.refused(this.look().free);
    this.checkpoint('PASSIVE');
    const appends = appendedBytes(ops) > 0;
    if (!released && !appends && !this.stuck) {
      this.stuck = true;
      this.logger?.error({ path: this.path, ballast: this.ballast.path }, 'sqlite store: the disk is full and the reserve file is used up (or there was no room to write one): acknowledgements, delivery horizons and the clean-stop marker cannot be written; deliveries of stored messages wait until there is room (free space on the disk)');
    }
    return { error: diskFullError(this.path, NO_ROOM(this.path), err), retry: released && !appends };
  }

  /** After a committed write, with the store's live segments now. Looks at the disk at most once per CHECK_INTERVAL_MS unless it is low. */
  committed(liveSegments: number): void {
    if (this.stuck) {
      this.stuck = false;
      this.logger?.info({ path: this.path }, 'sqlite store: writes go in again; deliveries of stored messages go on');
    }
    if (this.fullAt !== undefined && this.appends) {
      this.fullAt = undefined;
      this.logger?.info({ path: this.path }, 'sqlite store: the disk has room again, durable messages are accepted');
    }
    if (liveSegments > this.peak) this.peak = liveSegments;
    const now = Date.now();
    if (!this.low && now - this.lookedAt < CHECK_INTERVAL_MS) return;
    const look = this.look();
    if (!this.ballast.isHeld) this.ballast.ensure(look.free, look.total, reserveOf(look));
    const wal = this.walBytes();
    if (wal === 0) return;
    if (wal >= MIN_WAL_BYTES && (liveSegments === 0 || liveSegments * 4 <= this.peak)) {
      // Drained (or nearly): little is live, so the checkpoint copies little.
      this.checkpoint(this.low ? 'TRUNCATE' : 'PASSIVE');
      this.peak = liveSegments;
    } else if (look.free < TIGHT_RESERVES * reserveOf(look) || (wal >= MIN_WAL_BYTES && wal > look.free)) {
      // Nearly full, or the WAL takes more than is left: copied now, so that no commit waits in
      // the WAL for room the disk may not have later; the WAL's blocks are used again from its start.
      this.checkpoint('PASSIVE');
    }
  }

  /** A checkpoint now; one that fails (the database file could not grow) is tried again at the next occasion. */
  checkpoint(mode: 'PASSIVE' | 'TRUNCATE'): boolean {
    this.checkpointedAt = Date.now();
    try {
      this.db.pragma(`wal_checkpoint(${mode})`);
      return true;
    } catch (err) {
      this.logger?.debug({ err, mode }, 'sqlite store: checkpoint failed');
      return false;
    }
  }

  private refused(free: number): void {
    if (this.fullAt === undefined) {
      this.logger?.warn({ path: this.path, free }, 'sqlite store: the disk is full; durable messages are refused until there is room');
    }
    this.fullAt = Date.now();
  }

  private look(): Look {
    this.lookedAt = Date.now();
    let look: Look;
    try {
      const fs = statfsSync(this.dir);
      look = { free: fs.bavail * fs.bsize, total: fs.blocks * fs.bsize };
    } catch {
      look = { free: Number.POSITIVE_INFINITY, total: Number.POSITIVE_INFINITY }; // unknown: nothing done for space's sake
    }
    this.low = look.free < LOW_SPACE_BYTES;
    return look;
  }

  /** The database file's free pages (freed by removals, used again before the file grows). */
  private freePageBytes(): number {
    return (this.db.pragma('freelist_count', { simple: true }) as number) * this.pageSize;
  }

  private walBytes(): number {
    try {
      return statSync(this.walPath).size;
    } catch {
      return 0; // no WAL file (yet)
    }
  }
}

/** About what a batch's appends take in the file; 0 when it has none. */
function appendedBytes(ops: readonly StoreOp[]): number {
  let bytes = 0;
  for (const op of ops) if (op.op === 'append') bytes += op.message.body.length + APPEND_OVERHEAD_BYTES;
  return bytes === 0 ? 0 : bytes + BATCH_OVERHEAD_BYTES;
}

function reserveOf(look: Look): number {
  return Math.min(RESERVE_BYTES, look.total / 8);
}
