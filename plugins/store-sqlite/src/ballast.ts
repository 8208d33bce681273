/**
 * The store's ballast: a file next to the database (`<db>-reserve`) that holds a little disk space
 * the store can give itself back when the disk is full (docs/durability.md, "When the store fails":
 * the reserve file).
 *
 * Refusing appends early (disk-space.ts) keeps room for the small writes that keep the broker
 * correct — delivery horizons, the clean-stop marker, acknowledgements, delivery marks — only as
 * long as the store is the one filling the disk. When another file takes the last block, even a
 * one-row commit fails (SQLITE_FULL), and core may not deliver a stored message past a horizon that
 * did not commit: consuming stalls. So the store keeps this file while there is room, deletes it
 * when a write fails for a full disk (its blocks are then free for those small writes), and writes
 * it again once the disk has room for it and for the append reserve. It stays across restarts: a
 * broker started on a disk that is already full deletes it at setup.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import type { Logger } from '@wharf/core';

/** The most the ballast holds; on a small disk a sixteenth of it. */
export const BALLAST_MAX_BYTES = 1024 * 1024;
/** A disk with less free than this at setup counts as full: the ballast is released at once. */
export const FULL_BYTES = 64 * 1024;
/** The file system's unit, about: the ballast is a whole number of them. */
const BLOCK = 4096;

/** The ballast's size on a disk of `total` bytes: min(1 MiB, a sixteenth), in whole blocks. */
export function ballastBytes(total: number): number {
  return Math.min(BALLAST_MAX_BYTES, Math.floor(total / 16 / BLOCK) * BLOCK);
}

export class Ballast {
  readonly path: string;
  /** The file is there (at setup: found, or written). */
  private held = false;
  /** It was released in this run (so its return is worth a line in the log). */
  private released = false;

  constructor(dbPath: string, private readonly logger: Logger | undefined) {
    this.path = `${dbPath}-reserve`;
  }

  get isHeld(): boolean {
    return this.held;
  }

  /**
   * At setup, with the disk's free and total bytes: a ballast left by an earlier run is kept, or
   * released when the disk is full already; none is written when there is room.
   */
  setup(free: number, total: number, reserve: number): void {
    let size = 0;
    try {
      size = statSync(this.path).size;
    } catch {
      // not there (a new store, or released by a run that stopped while the disk was full)
    }
    if (size > 0) {
      this.held = true;
      if (free < FULL_BYTES) this.release('the disk is full at start');
      return;
    }
    this.ensure(free, total, reserve);
  }

  /**
   * Deletes the file, giving its blocks to the store's next writes. True when it was there.
   * `why` is logged.
   */
  release(why: string): boolean {
    if (!this.held) return false;
    this.held = false;
    this.released = true;
    try {
      rmSync(this.path, { force: true });
    } catch (err) {
      this.logger?.warn({ err, path: this.path }, 'sqlite store: the reserve file could not be deleted');
      return false;
    }
    this.logger?.warn({ path: this.path, why }, 'sqlite store: the disk is full; the reserve file was released so that acknowledgements, delivery horizons and the clean-stop marker can still be written (durable messages are refused until there is room)');
    return true;
  }

  /**
   * Writes the file when it is not there and the disk has room for it with `reserve` left (the
   * append reserve of disk-space.ts, so that writing it never makes the disk full). The bytes are
   * random, so that a file system that compresses or skips zero blocks gives it real blocks.
   */
  ensure(free: number, total: number, reserve: number): void {
    if (this.held) return;
    if (!Number.isFinite(total)) return; // the disk's size is unknown (statfs failed): nothing to size it by
    const size = ballastBytes(total);
    if (size <= 0 || free < size + reserve) return;
    let fd: number | undefined;
    try {
      fd = openSync(this.path, 'w', 0o600);
      writeSync(fd, randomBytes(size));
      fsyncSync(fd);
    } catch (err) {
      // Someone took the space meanwhile: no half ballast stays.
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
      rmSync(this.path, { force: true });
      this.logger?.debug({ err, path: this.path }, 'sqlite store: the reserve file could not be written');
      return;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    this.held = true;
    if (this.released) this.logger?.info({ path: this.path, bytes: size }, 'sqlite store: the disk has room again; the reserve file is back');
  }
}
