/**
 * Header escaping. STOMP 1.2 §Value Encoding:
 *
 * - 1.2: `\r` → CR, `\n` → LF, `\c` → `:`, `\\` → `\`; any other escape "MUST be treated as a fatal protocol error".
 * - 1.1: the same without `\r` (STOMP 1.1 §Value Encoding), so a CR can only travel raw.
 * - 1.0: no escaping at all.
 * - "The CONNECT and CONNECTED frames do not escape the carriage return, line feed or colon octets in order to remain
 *   backward compatible with STOMP 1.0 clients" — whatever the version; STOMP is CONNECT under another name.
 */
import type { StompVersion } from './types.js';

/** 0 = raw (1.0, CONNECT, STOMP, CONNECTED), 1 = STOMP 1.1 escapes, 2 = STOMP 1.2 escapes. */
export type EscapeMode = 0 | 1 | 2;

const BACKSLASH = 92;
const LF = 10;
const CR = 13;
const COLON = 58;

/** The escaping that applies to a frame's headers. STOMP 1.2 §Value Encoding. */
export function escapeModeFor(command: string, version: StompVersion): EscapeMode {
  if (version === '1.0' || command === 'CONNECT' || command === 'STOMP' || command === 'CONNECTED') return 0;
  return version === '1.1' ? 1 : 2;
}

/**
 * Undoes the escapes of one header name or value. Returns `undefined` for an undefined escape sequence (including a
 * lone backslash at the end), which the caller reports as a fatal `escape` error. `allowCR` is true for STOMP 1.2.
 */
export function unescapeHeader(s: string, allowCR: boolean): string | undefined {
  let i = s.indexOf('\\');
  if (i === -1) return s;
  let out = '';
  let from = 0;
  while (i !== -1) {
    out += s.slice(from, i);
    switch (s.charCodeAt(i + 1)) {
      case 110: // n
        out += '\n';
        break;
      case 99: // c
        out += ':';
        break;
      case BACKSLASH:
        out += '\\';
        break;
      case 114: // r — STOMP 1.2 only
        if (!allowCR) return undefined;
        out += '\r';
        break;
      default: // undefined escape, or NaN for a trailing lone backslash
        return undefined;
    }
    from = i + 2;
    i = s.indexOf('\\', from);
  }
  return from === s.length ? out : out + s.slice(from);
}

/** True when `s` holds a character that some escaping mode treats specially. A plain loop: no regex on the hot path. */
function needsAttention(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === BACKSLASH || c === LF || c === CR || c === COLON) return true;
  }
  return false;
}

/**
 * Escapes a header name or value for the wire. Throws a plain `Error` (a programming error of the caller) when the
 * text cannot be represented in that mode:
 * - raw mode (1.0, CONNECT, CONNECTED): a LF anywhere; a colon in a name (STOMP 1.0 splits at the first colon);
 * - raw mode and 1.1: a CR at the end of a value, which a reader takes for part of a CRLF line end.
 */
export function escapeHeader(s: string, mode: EscapeMode, isName: boolean): string {
  if (!needsAttention(s)) return s;
  if (mode === 0) {
    if (s.indexOf('\n') !== -1) throw new Error(`header ${isName ? 'name' : 'value'} ${JSON.stringify(s)} contains a line feed, which STOMP 1.0 and CONNECT/CONNECTED frames cannot carry`);
    if (isName && s.indexOf(':') !== -1) throw new Error(`header name ${JSON.stringify(s)} contains a colon, which STOMP 1.0 and CONNECT/CONNECTED frames cannot carry`);
    if (!isName && s.charCodeAt(s.length - 1) === CR) throw new Error(`header value ${JSON.stringify(s)} ends with a carriage return, which STOMP 1.0 and CONNECT/CONNECTED frames cannot carry`);
    return s;
  }
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string;
    if (c === BACKSLASH) rep = '\\\\';
    else if (c === LF) rep = '\\n';
    else if (c === COLON) rep = '\\c';
    else if (c === CR) {
      if (mode === 1) {
        if (!isName && i === s.length - 1) throw new Error(`header value ${JSON.stringify(s)} ends with a carriage return, which STOMP 1.1 cannot carry`);
        continue; // STOMP 1.1 has no \r escape: the CR travels raw
      }
      rep = '\\r';
    } else continue;
    out += s.slice(from, i) + rep;
    from = i + 1;
  }
  return from === s.length ? out : out + s.slice(from);
}
