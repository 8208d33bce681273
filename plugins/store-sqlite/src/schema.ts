/**
 * The sqlite store's file format: its tables, its version (PRAGMA user_version) and the conversion
 * of files written by an older Wharf.
 *
 * Format 3 (this one) keeps messages in segments: one row holds the messages one batch appended to
 * one destination (segment-codec.ts has the row's layout). SQLite's cost is per row, so a busy
 * batch pays for one B-tree insert per destination instead of one per message, and a segment whose
 * messages were all acknowledged goes with one delete.
 * - `segments`: seq (the rowid; segments of a destination are in append order by seq), the
 *   destination's key (`destination_keys`), the ids (JSON) and the records;
 * - `segment_gaps`: for a segment some of whose messages are gone, a bitmap of its removed slots
 *   (bit `slot % 8` of byte `slot / 8`). A segment with every slot removed is deleted instead;
 * - `delivery_counts`: per (segment, slot), how many times the message was delivered and not
 *   acknowledged; absent means 0. Deleted with their segment.
 * No other index: the store finds messages through its own index in memory, built at setup by one
 * scan of the ids (SqliteStore, "the index").
 *
 * Format 2 had one row per message (destination key, id, origin, headers, body, ...); format 1 the
 * same with the destination's name and a UNIQUE (destination, id) index. Setup converts either in
 * one transaction (all or nothing), keeping every message, its order and its delivery count.
 */
import { RECOVERY_TABLE } from './recovery-records.js';
import type Database from 'better-sqlite3';
import { SegmentEncoder, type SegmentRecord } from './segment-codec.js';

/** The format this code writes. */
export const SCHEMA_VERSION = 3;

/**
 * A segment is closed when it holds this many messages (a message's place in the index is one
 * number, segment × SEGMENT_SLOTS + slot: segment-index.ts) ...
 */
export const SEGMENT_SLOTS = 1024;
/** ... or this many bytes of bodies: a segment lives as long as its last message. */
export const SEGMENT_BYTES = 256 * 1024;

/** A segment holding `messages` messages with `bytes` of bodies takes no more. */
export function segmentFull(messages: number, bytes: number): boolean {
  return messages >= SEGMENT_SLOTS || bytes >= SEGMENT_BYTES;
}

const DESTINATIONS = `
CREATE TABLE IF NOT EXISTS destinations (
  position INTEGER PRIMARY KEY,
  name     TEXT NOT NULL UNIQUE,
  type     TEXT NOT NULL,
  children TEXT
);`;

const DESTINATION_KEYS = `
CREATE TABLE IF NOT EXISTS destination_keys (
  key  INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);`;

const SEGMENTS = `
CREATE TABLE IF NOT EXISTS segments (
  seq         INTEGER PRIMARY KEY,
  destination INTEGER NOT NULL,
  ids         TEXT    NOT NULL,
  data        BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS segment_gaps (
  seq     INTEGER PRIMARY KEY,
  removed BLOB    NOT NULL
);
CREATE TABLE IF NOT EXISTS delivery_counts (
  seq   INTEGER NOT NULL,
  slot  INTEGER NOT NULL,
  count INTEGER NOT NULL,
  PRIMARY KEY (seq, slot)
) WITHOUT ROWID;`;

/**
 * Brings the open file to SCHEMA_VERSION: creates the tables of a new file, converts a file of
 * format 1 or 2, refuses a newer one. Runs inside the caller's transaction.
 */
export function prepareSchema(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`${path} was written by a newer Wharf (store format ${version}; this one reads up to ${SCHEMA_VERSION})`);
  }
  db.exec(DESTINATIONS);
  db.exec(DESTINATION_KEYS);
  db.exec(SEGMENTS);
  db.exec(RECOVERY_TABLE);
  if (version < SCHEMA_VERSION && hasTable(db, 'messages')) {
    // Format 1 (or the unversioned files before it, the same tables) names destinations in every row.
    convertRows(db, version < 2);
  }
  // Only when it changes: a file of this format opens without a single write (so it opens on a full disk).
  if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Rows of an older file read at a time while it is converted. */
const READ_ROWS = 1000;

interface OldRow {
  seq: number;
  name: string;
  key: number;
  id: string;
  origin: string | null;
  headers: string | null;
  body: Buffer;
  persistent: number;
  timestamp: number;
  delivery_count: number;
}

/**
 * Formats 1 and 2: rows become segments, a run of consecutive rows of one destination per segment
 * (within the segment limits), in the rows' order, with their delivery counts. The old table goes
 * with its indexes.
 */
function convertRows(db: Database.Database, named: boolean): void {
  if (named) db.exec('INSERT OR IGNORE INTO destination_keys (name) SELECT DISTINCT destination FROM messages ORDER BY destination');
  const rows = db.prepare(named
    ? `SELECT m.seq, m.destination AS name, k.key, m.id, NULLIF(m.origin, m.destination) AS origin, NULLIF(m.headers, '{}') AS headers,
         m.body, m.persistent, m.timestamp, m.delivery_count
       FROM messages AS m JOIN destination_keys AS k ON k.name = m.destination WHERE m.seq > ? ORDER BY m.seq LIMIT ${READ_ROWS}`
    : `SELECT m.seq, k.name, m.destination AS key, m.id, m.origin, m.headers, m.body, m.persistent, m.timestamp, m.delivery_count
       FROM messages AS m JOIN destination_keys AS k ON k.key = m.destination WHERE m.seq > ? ORDER BY m.seq LIMIT ${READ_ROWS}`);
  const insertSegment = db.prepare('INSERT INTO segments (seq, destination, ids, data) VALUES (?, ?, ?, ?)');
  const insertCount = db.prepare('INSERT INTO delivery_counts (seq, slot, count) VALUES (?, ?, ?)');
  const encoder = new SegmentEncoder();
  let seq = 0;
  let key = -1;
  let records: SegmentRecord[] = [];
  let counts: Array<[number, number]> = [];
  let bytes = 0;
  const close = (): void => {
    if (records.length === 0) return;
    const { ids, data } = encoder.encodeRecords(records);
    insertSegment.run(++seq, key, ids, data);
    for (const [slot, count] of counts) insertCount.run(seq, slot, count);
    records = [];
    counts = [];
    bytes = 0;
  };
  // Read a page at a time (better-sqlite3 runs no statement while another one's rows are being
  // iterated, and a whole file of bodies may not fit in memory).
  for (let after = 0, page = rows.all(after) as OldRow[]; page.length > 0; page = rows.all(after) as OldRow[]) {
    for (const row of page) {
      if (row.key !== key || segmentFull(records.length, bytes)) {
        close();
        key = row.key;
      }
      if (row.delivery_count > 0) counts.push([records.length, row.delivery_count]);
      records.push({
        id: row.id, origin: row.origin === row.name ? null : row.origin, headersJson: row.headers === '{}' ? null : row.headers,
        body: row.body, persistent: row.persistent === 1, timestamp: row.timestamp,
      });
      bytes += row.body.byteLength;
      after = row.seq;
    }
  }
  close();
  db.exec('DROP TABLE messages');
}
