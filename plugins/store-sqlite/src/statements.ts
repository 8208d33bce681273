/**
 * The prepared statements of the sqlite store (the tables: schema.ts), prepared once at open.
 */
import type Database from 'better-sqlite3';

export interface Statements {
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

export function prepareStatements(db: Database.Database): Statements {
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
