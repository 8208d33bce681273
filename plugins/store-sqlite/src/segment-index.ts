/**
 * The sqlite store's index in memory: where every stored message is, so that a batch never queries
 * the file to find one.
 *
 * - Per destination: message id -> place, in append order (a Map keeps insertion order). A place
 *   is one number, the segment's seq × SLOT_SPACE + the message's slot in it.
 * - Per segment: how many slots it gave out and how many are live, a bitmap of the removed ones,
 *   and what the file holds for it (its row, a gaps row, delivery counts).
 * - For the batch being applied: the segments it opened (their messages wait in `pending` until
 *   the batch's end inserts them) and the segments that lost messages (settled at the end).
 *
 * SqliteStore does the SQL; this file only keeps the books.
 */
import type { Message } from '@wharf/core';
import { SEGMENT_SLOTS, segmentFull } from './schema.js';

/** Places per segment. */
export const SLOT_SPACE = SEGMENT_SLOTS;
/**
 * The last segment number whose places a double holds exactly (2^43, about 8.8 × 10^12: 28 years
 * at 10,000 segments a second). SqliteStore renumbers the segments at start long before.
 */
export const MAX_SEQ = Math.floor(Number.MAX_SAFE_INTEGER / SLOT_SPACE);

/** The index's entry for one destination. */
export interface Rows {
  /** Its key in the file (destination_keys). */
  readonly key: number;
  readonly name: string;
  /** Message id -> place, in append order. */
  readonly ids: Map<string, number>;
  /** The segment this batch appends to, if it has one. */
  open: Segment | undefined;
}

/** The index's entry for one segment. */
export interface Segment {
  readonly seq: number;
  readonly rows: Rows;
  /** Slots given out (messages appended to it). */
  size: number;
  /** Slots not removed. */
  live: number;
  /** Its removed slots, one bit each (bit `slot % 8` of byte `slot / 8`), once one was removed. */
  removed: Uint8Array | undefined;
  /** Its row exists (false while its messages wait for the end of the batch). */
  inFile: boolean;
  /** A segment_gaps row exists. */
  gapsStored: boolean;
  /** delivery_counts rows may exist. */
  counted: boolean;
  /** The messages appended in this batch, inserted at its end. */
  pending: Message[] | undefined;
  /** Body bytes of `pending`. */
  pendingBytes: number;
  /** Listed in this batch's touched segments. */
  touched: boolean;
}

export function isRemoved(removed: Uint8Array | undefined, slot: number): boolean {
  return removed !== undefined && (removed[slot >> 3]! & (1 << (slot & 7))) !== 0;
}

/** Calls `each(from, to)` for every run of consecutive numbers in `sorted` (ascending, no repeats). */
export function forEachRun(sorted: readonly number[], each: (from: number, to: number) => void): void {
  for (let i = 0; i < sorted.length;) {
    let j = i + 1;
    while (j < sorted.length && sorted[j] === sorted[j - 1]! + 1) j++;
    each(sorted[i]!, sorted[j - 1]!);
    i = j;
  }
}

/** The segment number of a place. */
export function seqOf(place: number): number {
  return Math.floor(place / SLOT_SPACE);
}

export class SegmentIndex {
  /** Destination name -> its messages. */
  readonly rows = new Map<string, Rows>();
  /** seq -> segment. */
  readonly segments = new Map<number, Segment>();
  /** The next segment's seq (one more than the largest in the file). */
  private nextSeq = 1;
  /** Segments this batch opened, in seq order. */
  created: Segment[] = [];
  /** Segments that lost messages in this batch. */
  touched: Segment[] = [];
  /** The segment found last: the removals of one batch mostly hit one segment in a row. */
  private last: Segment | undefined;

  /**
   * Builds the index from the file: every destination key, every bitmap of removed slots, the
   * segments with delivery counts, and every segment's ids in seq order.
   */
  load(
    keys: Iterable<[number, string]>,
    gaps: Iterable<[number, Uint8Array]>,
    counted: Iterable<[number]>,
    segments: Iterable<[number, number, readonly string[]]>,
    lastSeq: number | null,
  ): void {
    this.clear();
    const byKey = new Map<number, Rows>();
    for (const [key, name] of keys) {
      const rows: Rows = { key, name, ids: new Map(), open: undefined };
      this.rows.set(name, rows);
      byKey.set(key, rows);
    }
    const removedBy = new Map<number, Uint8Array>();
    for (const [seq, removed] of gaps) removedBy.set(seq, new Uint8Array(removed));
    const countedSeqs = new Set<number>();
    for (const [seq] of counted) countedSeqs.add(seq);
    for (const [seq, key, ids] of segments) {
      const rows = byKey.get(key);
      if (rows === undefined) throw new Error(`segment ${seq} names destination key ${key}, which the file does not have`);
      const removed = removedBy.get(seq);
      const segment: Segment = {
        seq, rows, size: ids.length, live: 0, removed, inFile: true, gapsStored: removed !== undefined, counted: countedSeqs.has(seq),
        pending: undefined, pendingBytes: 0, touched: false,
      };
      const base = seq * SLOT_SPACE;
      for (let slot = 0; slot < ids.length; slot++) {
        if (isRemoved(removed, slot)) continue;
        rows.ids.set(ids[slot]!, base + slot);
        segment.live++;
      }
      this.segments.set(seq, segment);
    }
    this.nextSeq = (lastSeq ?? 0) + 1;
  }

  clear(): void {
    this.rows.clear();
    this.segments.clear();
    this.endBatch();
  }

  /** Forgets what the batch listed (after its end, or after it failed and the index is to be built again). */
  endBatch(): void {
    this.created = [];
    this.touched = [];
    this.last = undefined;
  }

  /** The entry of `destination`; `newKey` gives a destination new to the file its key. */
  rowsOf(destination: string, newKey: (destination: string) => number): Rows {
    let rows = this.rows.get(destination);
    if (rows === undefined) {
      rows = { key: newKey(destination), name: destination, ids: new Map(), open: undefined };
      this.rows.set(destination, rows);
    }
    return rows;
  }

  /** Gives `message` the next slot of the batch's segment for `rows`; false if its id is there already. */
  append(rows: Rows, message: Message): boolean {
    if (rows.ids.has(message.id)) return false;
    let segment = rows.open;
    if (segment === undefined || segmentFull(segment.size, segment.pendingBytes)) segment = this.openSegment(rows);
    rows.ids.set(message.id, segment.seq * SLOT_SPACE + segment.size);
    segment.pending!.push(message);
    segment.pendingBytes += message.body.byteLength;
    segment.size++;
    segment.live++;
    return true;
  }

  placeOf(destination: string, id: string): number | undefined {
    return this.rows.get(destination)?.ids.get(id);
  }

  segmentAt(place: number): Segment {
    const seq = seqOf(place);
    let segment = this.last;
    if (segment === undefined || segment.seq !== seq) {
      segment = this.segments.get(seq);
      if (segment === undefined) throw new Error(`the store's index has no segment ${seq}`);
      this.last = segment;
    }
    return segment;
  }

  /** Removes a message; false if the destination does not have it. */
  remove(destination: string, id: string): boolean {
    const ids = this.rows.get(destination)?.ids;
    const place = ids?.get(id);
    if (place === undefined) return false;
    ids!.delete(id);
    this.removeAt(place);
    return true;
  }

  /** Removes every message of `destination`. */
  forget(destination: string): void {
    const ids = this.rows.get(destination)?.ids;
    if (ids === undefined) return;
    for (const place of ids.values()) this.removeAt(place);
    ids.clear();
  }

  /** The bitmap of a segment's removed slots, as many bytes as its slots need. */
  gapBitmap(segment: Segment): Buffer {
    const bytes = (segment.size + 7) >> 3;
    let removed = segment.removed!;
    if (removed.length < bytes) {
      // Grew after its first removal (a segment of this batch).
      const grown = new Uint8Array(bytes);
      grown.set(removed);
      segment.removed = removed = grown;
    }
    return Buffer.from(removed.buffer, removed.byteOffset, bytes);
  }

  /** A segment the file no longer has. */
  drop(segment: Segment): void {
    this.segments.delete(segment.seq);
  }

  private openSegment(rows: Rows): Segment {
    if (this.nextSeq > MAX_SEQ) {
      throw new Error(`segment numbers are exhausted (${MAX_SEQ}): restart the broker, which renumbers them at start`);
    }
    const segment: Segment = {
      seq: this.nextSeq++, rows, size: 0, live: 0, removed: undefined, inFile: false, gapsStored: false, counted: false,
      pending: [], pendingBytes: 0, touched: false,
    };
    this.segments.set(segment.seq, segment);
    this.created.push(segment);
    rows.open = segment;
    return segment;
  }

  /** Marks the message at `place` removed; its segment settles at the end of the batch. */
  private removeAt(place: number): void {
    const segment = this.segmentAt(place);
    const slot = place - segment.seq * SLOT_SPACE;
    let removed = segment.removed;
    if (removed === undefined || removed.length <= slot >> 3) {
      // A segment of this batch may still grow: room for the slots it has, doubled.
      const grown = new Uint8Array(Math.max((slot >> 3) + 1, (segment.size + 7) >> 3, (removed?.length ?? 0) * 2));
      if (removed !== undefined) grown.set(removed);
      segment.removed = removed = grown;
    }
    removed[slot >> 3]! |= 1 << (slot & 7);
    segment.live--;
    if (!segment.touched) {
      segment.touched = true;
      this.touched.push(segment);
    }
  }
}
