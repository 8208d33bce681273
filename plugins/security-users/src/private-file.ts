/**
 * The users file holds scrypt hashes: anyone who can read it can guess passwords offline, at their
 * own pace. Like ssh's "UNPROTECTED PRIVATE KEY FILE", the broker says so at start when the file is
 * open to group or others; unlike ssh it still starts (docs/security.md, "Files"), because refusing
 * would turn a shared-folder mistake into an outage, and the hashes are already exposed by then.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from '@wharf/core';

/** The permission bits that let group or others at a file. */
export const EXPOSED_BITS = 0o077;

/** `0644` for a mode, as `ls -l` readers and `chmod` take it. */
export function octalMode(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, '0');
}

/**
 * Logs one warning when the users file `filepath` is readable or writable by group or others, naming the fix.
 * Windows has no POSIX modes (node reports 0666 for every file), so it is skipped there.
 * @returns whether it warned
 */
export async function warnIfNotPrivate(filepath: string, logger: Logger): Promise<boolean> {
  if (process.platform === 'win32') return false;
  const mode = (await stat(filepath)).mode & 0o777;
  if ((mode & EXPOSED_BITS) === 0) return false;
  logger.warn({ file: filepath, mode: octalMode(mode), fix: `chmod 600 ${filepath}` },
    `UNPROTECTED USERS FILE: ${filepath} is mode ${octalMode(mode)}, open to group or others, and holds password hashes; run: chmod 600 ${filepath}`);
  return true;
}
