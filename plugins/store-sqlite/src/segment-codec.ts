/**
 * How the messages of one segment are laid out in its row (schema.ts, format 3).
 *
 * A segment is the messages one batch appended to one destination, kept in one row: SQLite's cost
 * is per row (about a microsecond for the B-tree insert and the binding of its values, whatever
 * their size), so a batch of 500 messages to a queue costs one row instead of 500.
 *
 * - `ids`: the messages' ids as a JSON array, a column of its own so that the index built at setup
 *   reads the ids without the bodies (SQLite stops reading a row at the last column asked for).
 * - `data`: one record per message, in slot order (the slot is the position in `ids`):
 *
 *     flags      u8       1: persistent, 2: origin follows, 4: headers follow
 *     timestamp  f64 LE   milliseconds since the epoch
 *     origin     u32 LE length + UTF-8   only with flag 2: the destination the sender named,
 *                                        when it is not the segment's own (a pubsub's copies)
 *     headers    u32 LE length + UTF-8   only with flag 4: the sender's headers as JSON
 *     body       u32 LE length + bytes
 */
import type { Message } from '@wharf/core';

const PERSISTENT = 1;
const HAS_ORIGIN = 2;
const HAS_HEADERS = 4;
/** flags + timestamp + body length: the bytes every record has. */
const FIXED_BYTES = 1 + 8 + 4;

/** Shared by every decoded message whose sender set no header of its own: nothing may change it. */
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/** One message as a segment keeps it: origin and headers already reduced to what is stored. */
export interface SegmentRecord {
  readonly id: string;
  /** null: the segment's own destination. */
  readonly origin: string | null;
  /** The headers as JSON, or null when the sender set none. */
  readonly headersJson: string | null;
  readonly body: Uint8Array;
  readonly persistent: boolean;
  readonly timestamp: number;
}

/**
 * Encodes segments into one growing scratch buffer, reused from segment to segment: the row's
 * `data` is a view into it, valid until the next encode (better-sqlite3 copies a bound blob).
 */
export class SegmentEncoder {
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private readonly ids: string[] = [];

  /** Encodes the messages of one segment, as stored for `destination`. */
  encodeMessages(messages: readonly Message[], destination: string): { ids: string; data: Buffer } {
    const ids = this.ids;
    let o = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      ids.push(m.id);
      o = this.put(o, m.destination === destination ? null : m.destination, headersJson(m.headers), m.body, m.persistent, m.timestamp);
    }
    return this.finish(o);
  }

  /** Encodes records already reduced (the conversion of an older file). */
  encodeRecords(records: readonly SegmentRecord[]): { ids: string; data: Buffer } {
    let o = 0;
    for (const r of records) {
      this.ids.push(r.id);
      o = this.put(o, r.origin, r.headersJson, r.body, r.persistent, r.timestamp);
    }
    return this.finish(o);
  }

  /** Drops a scratch buffer a very large segment grew, so that it is not held for ever. */
  trim(): void {
    if (this.scratch.length > 4 * 1024 * 1024) this.scratch = Buffer.allocUnsafe(64 * 1024);
  }

  private finish(end: number): { ids: string; data: Buffer } {
    const ids = JSON.stringify(this.ids);
    this.ids.length = 0;
    return { ids, data: this.scratch.subarray(0, end) };
  }

  private put(at: number, origin: string | null, headers: string | null, body: Uint8Array, persistent: boolean, timestamp: number): number {
    // Worst case for the strings: 3 UTF-8 bytes per UTF-16 unit.
    const need = FIXED_BYTES + body.byteLength + (origin === null ? 0 : 4 + 3 * origin.length) + (headers === null ? 0 : 4 + 3 * headers.length);
    if (at + need > this.scratch.length) this.grow(at, need);
    const b = this.scratch;
    let o = at;
    b[o++] = (persistent ? PERSISTENT : 0) | (origin === null ? 0 : HAS_ORIGIN) | (headers === null ? 0 : HAS_HEADERS);
    b.writeDoubleLE(timestamp, o);
    o += 8;
    if (origin !== null) o = putText(b, o, origin);
    if (headers !== null) o = putText(b, o, headers);
    b.writeUInt32LE(body.byteLength, o);
    o += 4;
    b.set(body, o);
    return o + body.byteLength;
  }

  private grow(used: number, need: number): void {
    const bigger = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, used + need));
    this.scratch.copy(bigger, 0, 0, used);
    this.scratch = bigger;
  }
}

function putText(b: Buffer, at: number, text: string): number {
  const length = b.write(text, at + 4, 'utf8');
  b.writeUInt32LE(length, at);
  return at + 4 + length;
}

/** The ids of a segment's `ids` column. */
export function segmentIds(ids: string): string[] {
  return JSON.parse(ids) as string[];
}

/**
 * The messages of a segment stored for `destination`, in slot order. Bodies are copied out of the
 * row's buffer, so a message kept for long does not hold its whole segment in memory.
 */
export function decodeSegment(ids: readonly string[], data: Uint8Array, destination: string): Message[] {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const messages: Message[] = new Array(ids.length);
  let o = 0;
  for (let slot = 0; slot < ids.length; slot++) {
    if (o + FIXED_BYTES > view.length) throw new Error(`segment data ends before message ${slot} of ${ids.length}`);
    const flags = view[o++]!;
    const timestamp = view.readDoubleLE(o);
    o += 8;
    let origin = destination;
    let headers: Readonly<Record<string, string>> = NO_HEADERS;
    if (flags & HAS_ORIGIN) {
      const length = view.readUInt32LE(o);
      origin = view.toString('utf8', o + 4, o + 4 + length);
      o += 4 + length;
    }
    if (flags & HAS_HEADERS) {
      const length = view.readUInt32LE(o);
      headers = JSON.parse(view.toString('utf8', o + 4, o + 4 + length)) as Record<string, string>;
      o += 4 + length;
    }
    const length = view.readUInt32LE(o);
    o += 4;
    if (o + length > view.length) throw new Error(`segment data ends inside the body of message ${slot} of ${ids.length}`);
    messages[slot] = { id: ids[slot]!, destination: origin, headers, body: Buffer.from(view.subarray(o, o + length)), persistent: (flags & PERSISTENT) !== 0, timestamp };
    o += length;
  }
  return messages;
}

/** Most messages carry no header of their sender's own: stored as absent, no JSON.stringify. */
export function headersJson(headers: Readonly<Record<string, string>>): string | null {
  for (const _ in headers) return JSON.stringify(headers);
  return null;
}
