/** Errors a STOMP client caused, and how any error becomes an ERROR frame. */
import { ErrorCodes, WharfError } from '@wharf/core';
import { StompCodecError } from './codec/index.js';

/** A protocol violation: the client gets an ERROR with this text, then the connection closes. */
export function protocolError(message: string, hint?: string): WharfError {
  return new WharfError(ErrorCodes.PROTOCOL, message, hint ? { hint } : {});
}

export function limitError(limit: string, message: string): WharfError {
  return new WharfError(ErrorCodes.LIMIT, `${message} (limit ${limit})`, {
    hint: `stay within the listener's ${limit}, or raise it in the listener options`,
    details: { limit },
  });
}

/** Anything thrown while handling a frame, as a WharfError with a message fit for the client. */
export function asClientError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  if (err instanceof StompCodecError) {
    return err.limit ? limitError(err.limit, err.message) : protocolError(err.message, 'see the STOMP 1.2 specification, Frames');
  }
  // An internal failure: say so without leaking internals.
  return new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the frame', { cause: err });
}
