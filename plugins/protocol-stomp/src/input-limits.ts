/**
 * What a STOMP connection may make the broker hold or read before and around login (issue 15, item 2;
 * docs/security.md "Input limits"):
 * - before CONNECTED, frames are small ({@link limitsBeforeConnected}) and all bytes read stay within
 *   {@link PIPELINE_FRAMES_BEFORE_CONNECTED} such frames;
 * - the bytes of an unfinished frame count against the broker-wide InputBudget (the connection's InputAccount;
 *   {@link overBudget} when it may not wait);
 * - heart-beat EOLs are bounded per second ({@link HeartBeatFlood}).
 * Each check runs per chunk or per rare event, never per byte.
 */
import { ErrorCodes, WharfError, type InputBudget } from '@wharf/core';
import type { CodecLimits } from './codec/index.js';
import { limitError } from './errors.js';
import type { StompOptions } from './options.js';

/** Before CONNECTED, everything read (frames pipelined behind CONNECT, EOLs) stays within this many frames' worth. */
export const PIPELINE_FRAMES_BEFORE_CONNECTED = 16;

/**
 * The parser's limits until the session is open. CONNECT carries no body (STOMP 1.2 §STOMP Frames: "Only the SEND,
 * MESSAGE, and ERROR frames MAY have a body"), so a `content-length:4194304` is refused on its header line; while
 * CONNECT is being authenticated, a frame pipelined behind it may carry a body within the same frame size.
 */
export function limitsBeforeConnected(options: StompOptions, phase: 'awaiting-connect' | 'authenticating'): CodecLimits {
  const frame = options.maxHeaderBytesBeforeConnect;
  return {
    maxBodyBytes: phase === 'awaiting-connect' ? 0 : Math.min(frame, options.maxBodyBytes),
    maxHeaders: options.maxHeaders,
    maxHeaderLineBytes: options.maxHeaderLineBytes,
    maxFrameBytes: frame,
  };
}

/** The listener's own limits, from CONNECTED on: no frame-size bound, so the parser checks nothing per byte more. */
export function limitsWhenConnected(options: StompOptions): CodecLimits {
  return { maxBodyBytes: options.maxBodyBytes, maxHeaders: options.maxHeaders, maxHeaderLineBytes: options.maxHeaderLineBytes };
}

/** The largest WebSocket message one frame can need: the body, every header line at its longest, NUL and EOLs. */
export function largestFrameBytes(options: StompOptions): number {
  return options.maxBodyBytes + (options.maxHeaders + 2) * (options.maxHeaderLineBytes + 2) + 2;
}

/** A codec limit passed before CONNECTED, said in terms of the pre-login limit. */
export function beforeConnectedError(options: StompOptions, limit: string | undefined, phase: string): WharfError | undefined {
  if (limit === 'maxBodyBytes' && phase === 'awaiting-connect') {
    return limitError('maxHeaderBytesBeforeConnect', 'a frame sent before CONNECTED may carry no body (STOMP 1.2 §STOMP Frames: CONNECT has none)');
  }
  if (limit === 'maxBodyBytes' || limit === 'maxFrameBytes') {
    return limitError('maxHeaderBytesBeforeConnect', `a frame sent before CONNECTED is larger than ${options.maxHeaderBytesBeforeConnect} bytes`);
  }
  return undefined;
}

/** The error a connection gets when it may not wait for room in the broker-wide input budget. */
export function overBudget(budget: InputBudget | undefined, why: string): WharfError {
  return limitCoded('inputBufferBytes',
    `the broker holds ${budget?.used ?? 0} bytes of unfinished frames, over its budget of ${budget?.limit ?? 0} bytes, ${why}`,
    'log in first, send smaller frames, or send a frame\'s bytes without pausing; the operator may raise the broker\'s limits.inputBufferBytes');
}

/**
 * STOMP 1.2 §Heart-beating: a client that can send every cx ms sends an EOL about every cx ms. Bare EOLs past what
 * that needs are bounded: one EOL after each frame is free (clients end frames with NUL LF), the rest count, and more
 * than `allowed` within a second is an error. The clock is read only when the count passes `allowed`.
 */
export class HeartBeatFlood {
  private allowed: number;
  private beats = 0;
  private windowStart = Date.now();
  private afterFrame = false;

  constructor(private readonly perSecond: number) {
    this.allowed = perSecond;
  }

  /** CONNECT promised a beat every `cx` ms (0: none): allow 4 per interval when that is more than the floor. */
  promised(cx: number): void {
    this.allowed = cx > 0 ? Math.max(this.perSecond, Math.ceil(4000 / cx)) : this.perSecond;
  }

  /** A frame ended: the EOL right after it is its own. */
  frame(): void {
    this.afterFrame = true;
  }

  /** A bare EOL between frames. Throws past the bound. */
  eol(): void {
    if (this.afterFrame) {
      this.afterFrame = false;
      return;
    }
    if (++this.beats > this.allowed) this.overflow();
  }

  private overflow(): void {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.beats = 1;
      return;
    }
    throw limitCoded('maxHeartBeatsPerSecond', `more than ${this.allowed} heart-beat EOLs within a second`,
      'send a heart-beat EOL about once per the interval your CONNECT heart-beat header promises, not more often');
  }
}

/** A limit error (WHARF_ERR_LIMIT, `details.limit`) with a hint of its own. */
function limitCoded(limit: string, message: string, hint: string): WharfError {
  return new WharfError(ErrorCodes.LIMIT, `${message} (limit ${limit})`, { hint, details: { limit } });
}
