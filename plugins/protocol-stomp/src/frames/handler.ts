/** The shape of a frame handler, and the checks every handler shares. */
import type { ClientSession } from '@wharf/core';
import type { Frame, StompVersion } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { protocolError } from '../errors.js';
import { header } from '../headers.js';

export interface FrameHandler {
  /** CONNECT and STOMP: allowed only before the session is open. */
  readonly beforeConnect?: boolean;
  /** The first version that has this command (NACK: 1.1). */
  readonly since?: StompVersion;
  /** CONNECT and DISCONNECT answer a `receipt` themselves (or not at all). */
  readonly sendsOwnReceipt?: boolean;
  handle(connection: StompConnection, frame: Frame): void | Promise<void>;
}

/** A header the spec requires: its absence is an ERROR naming it (STOMP 1.2 §Frames and Headers). */
export function required(frame: Frame, name: string): string {
  const value = header(frame, name);
  if (value === undefined) {
    throw protocolError(`missing required header ${name} in ${frame.command}`, `add a ${name} header to the ${frame.command} frame`);
  }
  return value;
}

export function sessionOf(connection: StompConnection): ClientSession {
  const session = connection.session;
  if (session === undefined) throw protocolError('not connected');
  return session;
}

/** Bodies smaller than this are copied out of the read buffer when they would pin much more of it. */
const SMALL_BODY = 1024;

/**
 * Bodies arrive as views into the socket's read buffer, and are kept as such: the hot path copies no
 * body. Only a small body that takes less than half of its read buffer is copied (into Node's buffer
 * pool, a cheap copy): a queue that held it for long would otherwise pin up to 64 KiB for a few bytes.
 * A larger body pins at most a few times its size, and only while it is held; copying it would cost
 * an allocation outside the pool per message, and the garbage collections that external memory
 * brings (the 4 KiB latency tail before this rule).
 */
export function retainable(body: Buffer): Buffer {
  const length = body.byteLength;
  if (length === 0 || length >= SMALL_BODY) return body;
  return length * 2 < body.buffer.byteLength ? Buffer.from(body) : body;
}
