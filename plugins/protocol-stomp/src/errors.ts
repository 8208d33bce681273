/** Errors a STOMP client caused, and how any error becomes an ERROR frame. */
import { ErrorCodes, WharfError, limitError, protocolError } from '@wharf/core';
import { StompCodecError, type Frame, type StompVersion } from './codec/index.js';
import { echoable, header } from './headers.js';

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

/**
 * The ERROR frame that ends a connection because of `error` (STOMP 1.2 §ERROR): a one-line `message` header,
 * `receipt-id` when the offending `frame` asked for a receipt, `version` for a failed negotiation, and the message
 * with its hint as a text body.
 */
export function errorFrame(error: WharfError, frame: Pick<Frame, 'headers'> | undefined, version: StompVersion): {
  readonly headers: Array<[string, string]>;
  readonly body: Buffer;
} {
  const receipt = frame ? header(frame, 'receipt') : undefined;
  const headers: Array<[string, string]> = [['message', oneLine(error.message)]];
  if (receipt !== undefined && echoable(receipt, version)) headers.push(['receipt-id', receipt]);
  if (error.details.versions) headers.push(['version', String(error.details.versions)]);
  headers.push(['content-type', 'text/plain']);
  const text = `${error.message}${error.hint ? `\n\nhint: ${error.hint}` : ''}\n`;
  return { headers, body: Buffer.from(text, 'utf8') };
}

/** Header values cannot hold line breaks in every version; keep the ERROR message on one line. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}
