/**
 * The errors of a store file that cannot be read: they name the file (and the row) and say what to do.
 */
import { ErrorCodes, WharfError } from '@wharf/core';

/** What a user can do about a damaged file. */
const RESTORE_OR_MOVE = 'restore the file from a backup, or move it away to start with an empty store (its messages are then lost)';

/** SQLite finding the file damaged, or not a database at all: say which file and what to do (other errors as they are). */
export function unreadable(path: string, err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (code !== 'SQLITE_CORRUPT' && code !== 'SQLITE_NOTADB') return err;
  return new WharfError(ErrorCodes.STORE, `${path} is damaged or is not a Wharf store (SQLite: ${(err as Error).message})`, {
    cause: err, hint: RESTORE_OR_MOVE,
  });
}

/** The error for a segment row that cannot be read back. */
export function damaged(path: string, seq: number, what: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new WharfError(ErrorCodes.STORE, `${path} is damaged: segment ${seq} (table segments) cannot be read: ${what}: ${reason}`, {
    cause, hint: RESTORE_OR_MOVE,
  });
}
