/**
 * The sqlite store's file format: its tables, its version (PRAGMA user_version) and the migration
 * of files written by an older Wharf.
 *
 * Format 2 (this one) keeps a message row as small as SQLite allows and indexes nothing but the
 * sequence number (the rowid): every append and every removal pays for one B-tree, not two.
 * - `destination` is a small integer (a row of `destination_keys`), not the name;
 * - `origin` (where the sender sent it: a pubsub's name for its children's copies) is NULL when it
 *   is the destination itself, `headers` NULL when the sender set none of its own;
 * - no (destination, id) index: the store finds rows through its own index in memory, built by one
 *   scan of the table at setup (SqliteStore, "the row index").
 * Measured on the benchmark machine (docs/durability.md "What one message costs in SQLite"): a
 * 100-byte message appended and removed costs about half the CPU of format 1's row and index.
 *
 * Format 1 had the destination's name in every row, origin and headers always set, and a UNIQUE
 * (destination, id) index; setup converts such a file in one transaction (all or nothing).
 */
import type Database from 'better-sqlite3';

/** The format this code writes. */
export const SCHEMA_VERSION = 2;

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

const messagesTable = (name: string): string => `
CREATE TABLE IF NOT EXISTS ${name} (
  seq            INTEGER PRIMARY KEY,
  destination    INTEGER NOT NULL,
  id             TEXT    NOT NULL,
  origin         TEXT,
  headers        TEXT,
  body           BLOB    NOT NULL,
  persistent     INTEGER NOT NULL,
  timestamp      INTEGER NOT NULL,
  delivery_count INTEGER NOT NULL DEFAULT 0
);`;

/**
 * Brings the open file to SCHEMA_VERSION: creates the tables of a new file, converts a format-1
 * file, refuses a newer one. Runs inside the caller's transaction.
 */
export function prepareSchema(db: Database.Database, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new Error(`${path} was written by a newer Wharf (store format ${version}; this one reads up to ${SCHEMA_VERSION})`);
  }
  db.exec(DESTINATIONS);
  db.exec(DESTINATION_KEYS);
  if (version < SCHEMA_VERSION && hasTable(db, 'messages')) migrateFromFormat1(db);
  db.exec(messagesTable('messages'));
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/**
 * Format 1 (or the unversioned files before it, the same tables): names become keys, values equal
 * to their default become NULL, the rows keep their sequence numbers (and so their order) and
 * delivery counts. The old table goes with its indexes.
 */
function migrateFromFormat1(db: Database.Database): void {
  db.exec(`
    INSERT OR IGNORE INTO destination_keys (name) SELECT DISTINCT destination FROM messages ORDER BY destination;
    ${messagesTable('messages_format2')}
    INSERT INTO messages_format2 (seq, destination, id, origin, headers, body, persistent, timestamp, delivery_count)
      SELECT m.seq, k.key, m.id, NULLIF(m.origin, m.destination), NULLIF(m.headers, '{}'), m.body, m.persistent, m.timestamp, m.delivery_count
      FROM messages AS m JOIN destination_keys AS k ON k.name = m.destination
      ORDER BY m.seq;
    DROP TABLE messages;
    ALTER TABLE messages_format2 RENAME TO messages;
  `);
}
