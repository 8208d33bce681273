/**
 * The sqlite store's write path: one batch of operations applied in ONE transaction (core's group
 * commit hands over a whole turn's worth of appends, acknowledgements, delivery marks and horizons
 * at once, so one fsync covers them all).
 *
 * - Appends go into the index (segment-index.ts) first; the segments the batch opened become one
 *   row each at the end (insertSegments): the messages one batch appends to one destination cost
 *   SQLite one insert.
 * - Acknowledgements and delivery marks find their message's place in the index without a query.
 * - At the end, segments that lost messages are settled: deleted when none is left (consecutive
 *   ones with one statement), rewritten with their live messages when a quarter or less is left
 *   (compact()), else their bitmap of removed slots is saved.
 * - Horizons and the clean-stop marker go to the recovery table (recovery-records.ts).
 * If any of it throws, the transaction is rolled back whole; the caller (sqlite-store.ts) then
 * builds the index again from the file.
 */
import type Database from 'better-sqlite3';
import type { Message, StoreOp } from '@wharf/core';
import type { RecoveryRecords } from './recovery-records.js';
import { SegmentEncoder } from './segment-codec.js';
import { forEachRun, isRemoved, SegmentIndex, SLOT_SPACE, type Segment } from './segment-index.js';
import type { ReadSegment, SegmentReader } from './segment-reader.js';
import type { Statements } from './statements.js';

/** A segment of at least this many slots ... */
const COMPACT_MIN_SLOTS = 8;
/** ... is rewritten with its live messages once no more than one in this many is left. */
const COMPACT_RATIO = 4;

export class BatchWriter {
  /** Applies a batch in one transaction (better-sqlite3's transaction(): rolled back if it throws). */
  readonly apply: (ops: readonly StoreOp[]) => void;
  private readonly encoder = new SegmentEncoder();

  constructor(
    db: Database.Database,
    private readonly statements: Statements,
    private readonly index: SegmentIndex,
    private readonly reader: SegmentReader,
    private readonly recoveryRecords: RecoveryRecords,
  ) {
    this.apply = db.transaction((ops: readonly StoreOp[]) => {
      for (let i = 0; i < ops.length; i++) this.applyOne(ops[i]!);
      this.insertSegments();
      this.settleRemovals();
    });
  }

  /** After every batch, committed or not: the index and the encoder let go of its scratch. */
  endBatch(): void {
    this.index.endBatch();
    this.encoder.trim();
  }

  /** A destination new to the file gets its key (inside the batch's transaction). */
  private readonly newKey = (destination: string): number => Number(this.statements.newKey.run(destination).lastInsertRowid);

  private applyOne(op: StoreOp): void {
    const s = this.statements;
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
        this.recoveryRecords.forget(op.name);
        return;
      case 'horizon':
        this.recoveryRecords.horizon(op.destination, op.horizon);
        return;
      case 'clean':
        this.recoveryRecords.clean(op.clean);
        return;
      default:
        throw new Error(`unknown store operation ${JSON.stringify((op as { op?: unknown }).op)}`);
    }
  }

  /** The segments this batch opened become rows (those whose messages are all gone already do not). */
  private insertSegments(): void {
    const insert = this.statements.insertSegment;
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
    const s = this.statements;
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
    const s = this.statements;
    const { seq, rows, removed } = segment;
    const read = new Map<number, ReadSegment>();
    this.reader.readSegments(rows.name, seq, seq, read);
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
}

function ascending(a: number, b: number): number {
  return a - b;
}
