import type { CodecLimitName } from './types.js';

/** What went wrong: a size limit, malformed framing, an undefined escape sequence, or a header that is not UTF-8. */
export type StompCodecErrorCode = 'limit' | 'syntax' | 'escape' | 'encoding';

/** What the parser had read of the offending frame when it failed (so an ERROR can carry `receipt-id`). */
export interface PartialFrame {
  /** The command, or `undefined` when the command line itself was bad. */
  command: string | undefined;
  /** The header lines parsed before the failure, in wire order. */
  headers: Array<[string, string]>;
}

/**
 * A protocol violation found by the parser. Every one of them is fatal to the connection: the session answers
 * with an ERROR frame and closes (STOMP 1.2 §ERROR, §Size Limits, §Value Encoding).
 */
export class StompCodecError extends Error {
  override readonly name = 'StompCodecError';
  readonly code: StompCodecErrorCode;
  /** Set when `code` is `limit`: which limit was exceeded. */
  readonly limit?: CodecLimitName;
  /** The part of the bad frame read so far, when the failure happened inside a frame. */
  readonly frame?: PartialFrame;

  constructor(code: StompCodecErrorCode, message: string, limit?: CodecLimitName, frame?: PartialFrame) {
    super(message);
    this.code = code;
    if (limit !== undefined) this.limit = limit;
    if (frame !== undefined) this.frame = frame;
  }
}
