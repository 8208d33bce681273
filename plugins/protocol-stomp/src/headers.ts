/** Reading STOMP headers: the first occurrence of a name wins (STOMP 1.2 §Repeated Header Entries). */
import type { Frame, StompVersion } from './codec/index.js';

/** The first value of `name`, or undefined. */
export function header(frame: Pick<Frame, 'headers'>, name: string): string | undefined {
  const headers = frame.headers;
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === name) return headers[i]![1];
  return undefined;
}

/**
 * Headers that steer the broker and are never passed on to consumers: the message's own headers
 * (`destination`, `message-id`, ...) are set by the broker on MESSAGE, `receipt` and `transaction`
 * concern the sender only, and credentials never leave the CONNECT frame.
 */
const CONTROL_HEADERS = new Set([
  'destination', 'receipt', 'transaction', 'content-length', 'message-id', 'subscription', 'ack',
  'login', 'passcode', 'persistent', 'redelivered', 'delivery-count',
]);

/** Shared by every message that carries no header of its sender's own: nothing may change it. */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The sender's own headers of a SEND, first occurrence of each name. */
export function userHeaders(frame: Frame): Record<string, string> {
  const headers = frame.headers;
  let out: Record<string, string> | undefined;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    if (CONTROL_HEADERS.has(name)) continue;
    if (out === undefined) out = {};
    else if (name in out) continue;
    out[name] = value;
  }
  return out ?? NO_HEADERS;
}

/**
 * Whether a header value can be sent back as it came (a `receipt` as `receipt-id`). Before 1.2 a
 * value cannot end with a CR, which a reader would take for part of the line end (STOMP 1.2
 * §Value Encoding: only 1.2 has `\r`); no version's raw form carries a LF.
 */
export function echoable(value: string, version: StompVersion): boolean {
  return version === '1.2' || (!value.endsWith('\r') && !value.includes('\n'));
}
