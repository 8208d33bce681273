/** Errors a JSONL client caused, and how anything thrown becomes the text of an error line. */
import { ErrorCodes, WharfError } from '@wharf/core';
import { LineTooLongError } from './line-reader.js';

/** A broken rule of the protocol: an error line with this text, then the close. */
export function protocolError(message: string, hint?: string): WharfError {
  return new WharfError(ErrorCodes.PROTOCOL, message, hint ? { hint } : {});
}

export function limitError(limit: string, message: string): WharfError {
  return new WharfError(ErrorCodes.LIMIT, `${message} (limit ${limit})`, {
    hint: `stay within the listener's ${limit}, or raise it in the listener options`,
    details: { limit },
  });
}

export function asClientError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  if (err instanceof LineTooLongError) return limitError('maxLineBytes', err.message);
  // An internal failure: say so without leaking internals (the cause goes to the log).
  return new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the request', { cause: err });
}
