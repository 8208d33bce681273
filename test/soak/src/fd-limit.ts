/** How many file descriptors a process may open here (`ulimit -n`), which sizes the flood. */
import { spawnSync } from 'node:child_process';

/** The soft limit on open files, as the shell reports it; undefined when it says "unlimited" or cannot tell. */
export function openFileLimit(): number | undefined {
  const result = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' });
  const n = Number(result.stdout.trim());
  return result.status === 0 && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Descriptors kept free for everything that is not a flood connection (files, pipes, the good pair, the store). */
export const FD_RESERVE = 1000;

/**
 * The flood's idle connections: what was asked, within the limit of both ends (the broker, a child
 * with the same limit, holds one descriptor per connection, as does the attacker).
 */
export function floodConnections(asked: number, limit: number | undefined): number {
  if (limit === undefined) return asked;
  return Math.max(0, Math.min(asked, limit - FD_RESERVE));
}
