/** How the CLI reports failures: the code, the message (every config problem with its line) and the hint. */
import { WharfError } from '@wharf/core';

export function describeFailure(err: unknown): string {
  if (err instanceof WharfError) {
    return `error ${err.code}: ${err.message}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
  return `error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`;
}
