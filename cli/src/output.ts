/**
 * How the CLI reports failures: the code, the message (every config problem with its line), the
 * cause (what the plugin or library threw, and where) and the hint.
 */
import { WharfError } from '@wharf/core';

/** Stack frames of the cause shown: enough to see where it was thrown, not Node's internals. */
const CAUSE_FRAMES = 3;

export function describeFailure(err: unknown): string {
  if (err instanceof WharfError) {
    const cause = describeCause(err.cause);
    return `error ${err.code}: ${err.message}${cause ? `\n  cause: ${cause}` : ''}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  return `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}

/** `TypeError: kaboom` and the first frames outside node:internal, indented under `cause:`. */
export function describeCause(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (!(cause instanceof Error)) return String(cause);
  const frames = (cause.stack ?? '').split('\n')
    .filter((line) => /^\s+at /.test(line) && !line.includes('node:internal') && !line.includes('(native)'))
    .slice(0, CAUSE_FRAMES)
    .map((line) => `\n    ${line.trim()}`);
  const head = cause.message.split('\n')[0] ?? '';
  return `${cause.name}: ${head}${frames.join('')}`;
}
