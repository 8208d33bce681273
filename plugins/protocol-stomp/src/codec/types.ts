/**
 * Shared types of the STOMP frame codec. The codec is standalone: it imports nothing from `@wharf/core`.
 */

/** The three protocol versions Wharf speaks. STOMP 1.2 §Protocol Negotiation. */
export type StompVersion = '1.0' | '1.1' | '1.2';

/** One decoded frame. STOMP 1.2 §STOMP Frames. */
export interface Frame {
  /** The command line as received, e.g. `SEND`. The session decides whether it is a known command. */
  command: string;
  /**
   * Headers in wire order, decoded as UTF-8 and unescaped per version. Repeated headers are all kept; the session
   * must use the first one (STOMP 1.2 §Repeated Header Entries).
   */
  headers: Array<[string, string]>;
  /**
   * The body bytes, never converted to a string. Usually a view (`subarray`) of a received chunk: the parser never
   * writes into chunk memory and never reuses a buffer, so the body may be retained — but a small body kept for a
   * long time keeps its whole chunk alive; copy it (`Buffer.from(body)`) if that matters.
   */
  body: Buffer;
}

/** Which limit a {@link StompCodecError} with code `limit` is about. STOMP 1.2 §Size Limits. */
export type CodecLimitName = 'maxBodyBytes' | 'maxHeaders' | 'maxHeaderLineBytes' | 'maxFrameBytes';

/** Size limits the parser enforces. STOMP 1.2 §Size Limits. */
export interface CodecLimits {
  /** Largest body, in bytes. Default 4 MiB. */
  maxBodyBytes: number;
  /** Most header lines in one frame (repeated headers count each time). Default 64. */
  maxHeaders: number;
  /** Longest command or header line, in bytes, excluding its EOL. Default 8192. */
  maxHeaderLineBytes: number;
  /**
   * Optional bound on a whole frame: command line, header lines and EOLs, plus the body. Unset means the frame is
   * bounded only by the three limits above (headers section ≤ (maxHeaders + 2) × (maxHeaderLineBytes + 2)).
   */
  maxFrameBytes?: number;
}

/** The defaults named in the spec of issue 4. */
export const DEFAULT_CODEC_LIMITS: Readonly<CodecLimits> = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  maxHeaders: 64,
  maxHeaderLineBytes: 8192,
});
