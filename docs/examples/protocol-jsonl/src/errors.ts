/** Errors a JSONL client caused, and how anything thrown becomes the text of an error line. */
import { ErrorCodes, WharfError, limitError, protocolError } from '@wharf/core';
import { LineTooLongError } from './line-reader.js';

// Core's factories make the same errors every adapter uses: a broken rule, a limit passed.
export { limitError, protocolError };

export function asClientError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  if (err instanceof LineTooLongError) return limitError('maxLineBytes', err.message);
  // An internal failure: say so without leaking internals (the cause goes to the log).
  return new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the request', { cause: err });
}
