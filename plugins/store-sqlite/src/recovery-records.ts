/**
 * The store's recovery record (Store.recovery, core/src/spi/store.ts): whether the last broker on
 * the file stopped cleanly, and each destination's delivery horizon — text core writes and reads
 * (docs/durability.md, "After a crash"). One small table beside the messages, written inside the
 * batch's transaction like every other operation, so it is all or nothing with its batch.
 */
import type Database from 'better-sqlite3';
import type { StoredRecovery } from '@wharf/core';

/** Created with the other tables (schema.ts); a file of format 3 without it gets it at setup. */
export const RECOVERY_TABLE = `
CREATE TABLE IF NOT EXISTS recovery (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;`;

/** The key of the clean-stop marker; a horizon's is its destination's name after HORIZON. */
const CLEAN = 'clean';
const HORIZON = 'horizon:';

export class RecoveryRecords {
  private readonly set: Database.Statement;
  private readonly remove: Database.Statement;
  private readonly all: Database.Statement;

  constructor(db: Database.Database) {
    this.set = db.prepare('INSERT INTO recovery (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.remove = db.prepare('DELETE FROM recovery WHERE key = ?');
    this.all = db.prepare('SELECT key, value FROM recovery');
  }

  /** The `horizon` operation (null forgets), inside the batch's transaction. */
  horizon(destination: string, horizon: string | null): void {
    if (horizon === null) this.remove.run(HORIZON + destination);
    else this.set.run(HORIZON + destination, String(horizon));
  }

  /** The `clean` operation. */
  clean(clean: boolean): void {
    this.set.run(CLEAN, clean ? '1' : '0');
  }

  /** A deleted destination's horizon goes with it. */
  forget(destination: string): void {
    this.remove.run(HORIZON + destination);
  }

  read(): StoredRecovery {
    let clean = true;
    const horizons = new Map<string, string>();
    for (const [key, value] of this.all.raw().all() as Array<[string, string]>) {
      if (key === CLEAN) clean = value === '1';
      else if (key.startsWith(HORIZON)) horizons.set(key.slice(HORIZON.length), value);
    }
    return { clean, horizons };
  }
}
