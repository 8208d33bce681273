/** Errors a STOMP client caused, and how any error becomes an ERROR frame. */
import { ErrorCodes, WharfError, limitError, protocolError } from '@wharf/core';
import { StompCodecError } from './codec/index.js';

// A protocol violation or a passed limit: the client gets an ERROR with the text, then the close.
export { limitError, protocolError };

/** Anything thrown while handling a frame, as a WharfError with a message fit for the client. */
export function asClientError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  if (err instanceof StompCodecError) {
    return err.limit ? limitError(err.limit, err.message) : protocolError(err.message, 'see the STOMP 1.2 specification, Frames');
  }
  // An internal failure: say so without leaking internals.
  return new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the frame', { cause: err });
}
