/**
 * Reading command and header bytes without making strings where none is needed (STOMP 1.2 §Augmented BNF,
 * §Value Encoding). The frame parser (parser.ts) calls these once per line it has already scanned: the common
 * commands and header names are matched in place against tables of their bytes, a value that repeats is compared
 * with the last one in place, and content-length's digits are read without a regex. They live apart from the parser
 * because they are the *what* of a header line (which names are known, what the bytes say), not the *how* of
 * finding lines in a stream.
 */
import { isUtf8 } from 'node:buffer';

/** Names a table entry holds as bytes, to be matched without decoding. */
interface Known {
  readonly index: number;
  readonly bytes: Uint8Array;
}

function table(words: readonly string[]): Array<Known[] | undefined> {
  const byLength: Array<Known[] | undefined> = [];
  words.forEach((text, index) => (byLength[text.length] ??= []).push({ index, bytes: Buffer.from(text, 'latin1') }));
  return byLength;
}

/** Commands and header names of every frame: matched in place, so the common ones cost no string. */
const COMMAND_NAMES = ['SEND', 'ACK', 'NACK', 'SUBSCRIBE', 'UNSUBSCRIBE', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT', 'CONNECT', 'STOMP',
  'MESSAGE', 'RECEIPT', 'ERROR', 'CONNECTED'];
/** Indexed by what {@link knownHeader} returns. */
export const HEADER_NAMES = ['destination', 'content-length', 'content-type', 'receipt', 'id', 'ack', 'transaction', 'persistent',
  'subscription', 'message-id', 'receipt-id', 'accept-version', 'host', 'login', 'passcode', 'heart-beat', 'version', 'redelivered',
  'priority', 'expires', 'reply-to', 'correlation-id'];
const COMMANDS = table(COMMAND_NAMES);
const HEADERS = table(HEADER_NAMES);

/** The index of `buf[start, end)` among the table's words, or -1. */
function lookup(known: Array<Known[] | undefined>, buf: Buffer, start: number, end: number): number {
  const candidates = known[end - start];
  if (candidates === undefined) return -1;
  for (let k = 0; k < candidates.length; k++) {
    const { bytes, index } = candidates[k]!;
    let i = 0;
    while (i < bytes.length && buf[start + i] === bytes[i]) i++;
    if (i === bytes.length) return index;
  }
  return -1;
}

/** The command `buf[start, end)` names, as the table's own string, or undefined when it is not a known one. */
export function knownCommand(buf: Buffer, start: number, end: number): string | undefined {
  const index = lookup(COMMANDS, buf, start, end);
  return index === -1 ? undefined : COMMAND_NAMES[index];
}

/** The index in HEADER_NAMES of the header name `buf[start, end)` (ASCII only), or -1. */
export function knownHeader(buf: Buffer, start: number, end: number): number {
  return lookup(HEADERS, buf, start, end);
}

/**
 * The value `buf[start, end)` of the common header `known` (ASCII). A connection sends the same few values again and
 * again (its destination, `content-length:100`): the last value of each common header is kept in `lastValues` (one
 * array per parser) and reused while the bytes match, instead of decoding a copy.
 */
export function reusedValue(lastValues: Array<string | undefined>, known: number, buf: Buffer, start: number, end: number): string {
  const last = lastValues[known];
  if (last !== undefined && sameAscii(last, buf, start, end)) return last;
  const value = start === end ? '' : buf.toString('latin1', start, end);
  lastValues[known] = value;
  return value;
}

/** Whether `text` (one-byte characters) is exactly the bytes `buf[start, end)`. */
function sameAscii(text: string, buf: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) !== buf[start + i]) return false;
  return true;
}

/**
 * STOMP 1.2 §Header content-length: an octet count, i.e. a non-negative decimal integer. Its value, or -1 when
 * `value` is not one (empty, or a character other than a digit).
 */
export function decimalOctets(value: string): number {
  if (value.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The first octet of `buf[start, end)` that is not printable ASCII (STOMP 1.2 §Augmented BNF: a command line is), or -1. */
export function nonPrintableOctet(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x20 || c > 0x7e) return c;
  }
  return -1;
}

/**
 * Whether a header line `buf[start, end)` decoded as UTF-8 into `name` and `value` was not UTF-8. Decoding turns a
 * bad byte into U+FFFD, so `/queue/a.\xff` and `/queue/a.\xfe` would name one queue (STOMP 1.2 §Value Encoding:
 * headers are UTF-8). Only a decoded U+FFFD (rare: never in ASCII lines) costs the check of the bytes.
 */
export function decodedBadUtf8(name: string, value: string, buf: Buffer, start: number, end: number): boolean {
  return (name.indexOf('\uFFFD') !== -1 || value.indexOf('\uFFFD') !== -1) && !isUtf8(buf.subarray(start, end));
}

/** Says which part of the header line `buf[start, end)` (split at `colon`) is not UTF-8. */
export function notUtf8Message(buf: Buffer, start: number, colon: number): string {
  const what = isUtf8(buf.subarray(start, colon)) ? `the value of the header ${JSON.stringify(buf.toString('utf8', start, colon))}` : 'a header name';
  return `${what} is not valid UTF-8 (STOMP 1.2 §Value Encoding: headers are UTF-8)`;
}

/** A header (its name, unescaped as far as it goes) holding an escape sequence `version` does not define. */
export function undefinedEscapeMessage(name: string, version: string): string {
  return `the header ${JSON.stringify(name)} contains an escape sequence that STOMP ${version} does not define`;
}
