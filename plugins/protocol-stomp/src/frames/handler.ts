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

/**
 * Bodies arrive as views into the socket's read buffer. A small body kept by a queue would pin the
 * whole buffer, so small bodies are copied once; large ones, where the copy would cost, are kept.
 */
export function retainable(body: Buffer): Buffer {
  if (body.byteLength === 0) return body;
  return body.byteLength * 2 < body.buffer.byteLength ? Buffer.from(body) : body;
}
