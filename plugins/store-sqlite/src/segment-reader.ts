/**
 * Reading the sqlite store's file back: the index at setup (segment-index.ts) and a destination's
 * messages for replay (sqlite-store.ts), decoded from their segments (segment-codec.ts).
 */
import type { Message, StoredMessage } from '@wharf/core';
import { decodeSegment, segmentIds } from './segment-codec.js';
import { forEachRun, SegmentIndex, seqOf, SLOT_SPACE } from './segment-index.js';
import type { Statements } from './statements.js';
import { damaged, unreadable } from './store-errors.js';

/** A segment read back: its messages by slot, and the delivery counts of those that have one. */
export interface ReadSegment {
  readonly messages: Message[];
  counts: Map<number, number> | undefined;
}

export class SegmentReader {
  constructor(
    private readonly statements: Statements,
    private readonly index: SegmentIndex,
    private readonly path: string,
  ) {}

  /** Reads every destination key, every segment's ids and every bitmap of removed slots into the index. */
  buildIndex(): void {
    const s = this.statements;
    const parse = (seq: number, ids: string): string[] => {
      try {
        const list = segmentIds(ids);
        if (!Array.isArray(list)) throw new Error('the ids are not a list');
        if (list.length > SLOT_SPACE) throw new Error(`${list.length} ids, more than a segment holds (${SLOT_SPACE})`);
        return list;
      } catch (err) {
        throw damaged(this.path, seq, 'its ids', err);
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
  }

  /**
   * A destination's messages in append order (the index must be built). Its segments are read by
   * runs of consecutive numbers, one statement per run, and each is decoded once.
   */
  messagesOf(destination: string): StoredMessage[] {
    const ids = this.index.rows.get(destination)?.ids;
    if (ids === undefined || ids.size === 0) return [];
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
    return replayed;
  }

  /** Reads and decodes the segments numbered `from` to `to` (all of `destination`), with their delivery counts. */
  readSegments(destination: string, from: number, to: number, into: Map<number, ReadSegment>): void {
    const s = this.statements;
    let rows: Array<[number, string, Buffer]>;
    try {
      rows = s.segmentsBetween.raw().all(from, to) as Array<[number, string, Buffer]>;
    } catch (err) {
      throw unreadable(this.path, err);
    }
    for (const [seq, ids, data] of rows) {
      let messages: Message[];
      try {
        messages = decodeSegment(segmentIds(ids), data, destination);
      } catch (err) {
        throw damaged(this.path, seq, `its messages for ${destination}`, err);
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
}
