/**
 * Frame encoding. STOMP 1.2 §STOMP Frames, §Value Encoding, §Header content-length.
 *
 * Header text is built as one string and written with a single UTF-8 encode; escaping runs only on names and values
 * that hold a character needing it, found with a plain loop (no regex).
 */
import { escapeHeader, escapeModeFor, type EscapeMode } from './escape.js';
import type { StompVersion } from './types.js';

/** A heart-beat: one EOL. STOMP 1.2 §Heart-beating. */
export const HEARTBEAT: Buffer = Buffer.from('\n');
/** The NUL octet that ends every frame. Shared: never write into it. */
export const NUL_BYTE: Buffer = Buffer.from([0]);
/**
 * Bodies shorter than this are copied into the head's buffer by {@link encodeMessage}; longer ones are not copied.
 * 1 KiB: below it one pooled allocation and a small copy are cheaper than a separate write; above it the copy (and,
 * past 4 KiB, an allocation outside Node's buffer pool per frame) costs more than it saves.
 */
export const MESSAGE_COPY_THRESHOLD = 1024;

export type HeaderInput = ReadonlyArray<readonly [string, string]> | Readonly<Record<string, string>>;

function checkCommand(command: string): void {
  if (command.length === 0) throw new Error('a STOMP command cannot be empty');
  for (let i = 0; i < command.length; i++) {
    const c = command.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) throw new Error(`the STOMP command ${JSON.stringify(command)} is not printable ASCII`);
  }
}

function headerLine(name: string, value: string, mode: EscapeMode): string {
  if (name.length === 0) throw new Error('a STOMP header name cannot be empty');
  return escapeHeader(name, mode, true) + ':' + escapeHeader(value, mode, false) + '\n';
}

function toBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/**
 * Encodes one whole frame into one Buffer: command, headers, blank line, body, NUL.
 *
 * Headers are escaped for `version` (STOMP 1.2 §Value Encoding), except in CONNECT, STOMP and CONNECTED frames.
 * A `content-length` is added when there is a body and the version is 1.1 or later, or the body holds a NUL octet
 * (STOMP 1.2 §Header content-length: "If the frame body contains NULL octets, the frame MUST include a
 * content-length header"). A caller's own `content-length` is kept, not duplicated, and must match the body.
 *
 * Throws a plain `Error` for what cannot be put on the wire (a programming error): an empty or non-printable
 * command, an empty header name, a header the version cannot represent (see `escapeHeader`), a wrong content-length.
 */
export function encodeFrame(command: string, headers: HeaderInput, body: Uint8Array | undefined, version: StompVersion): Buffer {
  checkCommand(command);
  const mode = escapeModeFor(command, version);
  const bodyLength = body === undefined ? 0 : body.byteLength;
  let head = command + '\n';
  let hasContentLength = false;
  const add = (name: string, value: string): void => {
    if (name === 'content-length' && !hasContentLength) {
      if (value !== String(bodyLength)) throw new Error(`content-length ${JSON.stringify(value)} does not match the body of ${bodyLength} bytes`);
      hasContentLength = true;
    }
    head += headerLine(name, value, mode);
  };
  if (isHeaderArray(headers)) {
    for (const [name, value] of headers) add(name, value);
  } else {
    for (const name of Object.keys(headers)) add(name, headers[name]!);
  }
  if (!hasContentLength && body !== undefined && (version !== '1.0' || body.indexOf(0) !== -1)) {
    head += 'content-length:' + bodyLength + '\n';
  }
  head += '\n';
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + bodyLength + 1);
  out.write(head, 0, 'utf8');
  if (body !== undefined && bodyLength > 0) out.set(body, headLength);
  out[headLength + bodyLength] = 0;
  return out;
}

function isHeaderArray(headers: HeaderInput): headers is ReadonlyArray<readonly [string, string]> {
  return Array.isArray(headers);
}

/** The head of a MESSAGE frame, as one string. STOMP 1.2 §MESSAGE. */
function messageHead(
  version: StompVersion,
  destination: string,
  messageId: string,
  subscription: string,
  ack: string | undefined,
  extra: ReadonlyArray<readonly [string, string]>,
  userHeaders: Readonly<Record<string, string>>,
  bodyLength: number,
): string {
  const mode: EscapeMode = version === '1.0' ? 0 : version === '1.1' ? 1 : 2;
  let s = 'MESSAGE\ndestination:' + escapeHeader(destination, mode, false)
    + '\nmessage-id:' + escapeHeader(messageId, mode, false)
    + '\nsubscription:' + escapeHeader(subscription, mode, false) + '\n';
  if (ack !== undefined) s += 'ack:' + escapeHeader(ack, mode, false) + '\n';
  for (let i = 0; i < extra.length; i++) {
    const h = extra[i]!;
    s += headerLine(h[0], h[1], mode);
  }
  s += userHeaderLines(userHeaders, mode, ack !== undefined, extra);
  return s + 'content-length:' + bodyLength + '\n\n';
}

/**
 * The sender's own headers of a MESSAGE, as header lines. The broker's own headers come first and a
 * receiver uses the first (STOMP 1.2 §Repeated Header Entries); a sender's header of the same name
 * would only confuse, so it is left out: the broker's fixed names, `ack` when the frame has one,
 * and any name among `extra`.
 */
function userHeaderLines(
  userHeaders: Readonly<Record<string, string>>,
  mode: EscapeMode,
  hasAck: boolean,
  extra: ReadonlyArray<readonly [string, string]>,
): string {
  let s = '';
  for (const name in userHeaders) {
    switch (name) {
      case 'destination':
      case 'message-id':
      case 'subscription':
      case 'content-length':
        continue;
      case 'ack':
        if (hasAck) continue;
    }
    if (extra.length > 0 && hasName(extra, name)) continue;
    s += headerLine(name, userHeaders[name]!, mode);
  }
  return s;
}

function hasName(headers: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  for (let i = 0; i < headers.length; i++) if (headers[i]![0] === name) return true;
  return false;
}

/**
 * Encodes `MESSAGE\n` + `destination`, `message-id`, `subscription`, `ack` (when given), `extra` (e.g.
 * `redelivered`), the sender's `userHeaders` and `content-length:<bodyLength>` + the blank line. The caller writes
 * the body and a NUL ({@link NUL_BYTE}) after it. User headers named like one already written are skipped.
 *
 * Throws a plain `Error` when a header cannot be represented in `version` — notably a LF in a STOMP 1.0 value.
 */
export function encodeMessageHead(
  version: StompVersion,
  destination: string,
  messageId: string,
  subscription: string,
  ack: string | undefined,
  extra: ReadonlyArray<readonly [string, string]>,
  userHeaders: Readonly<Record<string, string>>,
  bodyLength: number,
): Buffer {
  return Buffer.from(messageHead(version, destination, messageId, subscription, ack, extra, userHeaders, bodyLength), 'utf8');
}

/**
 * Encodes a whole MESSAGE frame (see {@link encodeMessageHead}). A body shorter than {@link MESSAGE_COPY_THRESHOLD}
 * is copied with the head into one Buffer; a longer one is not copied: the result is `[head, body, NUL]`, to be
 * written in order (e.g. inside `socket.cork()`/`uncork()`, or with `writev`). `body` is used as is, not copied, in
 * that case — do not change it until it has been written.
 */
export function encodeMessage(
  version: StompVersion,
  destination: string,
  messageId: string,
  subscription: string,
  ack: string | undefined,
  extra: ReadonlyArray<readonly [string, string]>,
  userHeaders: Readonly<Record<string, string>>,
  body: Uint8Array,
): Buffer | [head: Buffer, body: Buffer, nul: Buffer] {
  const bodyLength = body.byteLength;
  const head = messageHead(version, destination, messageId, subscription, ack, extra, userHeaders, bodyLength);
  if (bodyLength >= MESSAGE_COPY_THRESHOLD) return [Buffer.from(head, 'utf8'), toBuffer(body), NUL_BYTE];
  const headLength = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLength + bodyLength + 1);
  out.write(head, 0, 'utf8');
  if (bodyLength > 0) out.set(body, headLength);
  out[headLength + bodyLength] = 0;
  return out;
}

/**
 * The subscription's part of a MESSAGE head as the broker's fast path writes it: `MESSAGE`, `subscription` and
 * `destination` (STOMP 1.2 §MESSAGE). It is the same for every delivery of one subscription, so the adapter encodes
 * it once. A frame written this way is {@link encodeSubscriptionHead}, then an `ack` line (client ack modes), then
 * extra lines such as `redelivered:true`, then {@link encodeMessageBlock}, the body and a NUL: the same headers as
 * {@link encodeMessage} writes, in another order (which STOMP leaves free, STOMP 1.2 §Frames and Headers).
 *
 * Throws a plain `Error` when a value cannot be represented in `version` (see `escapeHeader`).
 */
export function encodeSubscriptionHead(version: StompVersion, destination: string, subscription: string): Buffer {
  const mode: EscapeMode = version === '1.0' ? 0 : version === '1.1' ? 1 : 2;
  return Buffer.from('MESSAGE\nsubscription:' + escapeHeader(subscription, mode, false)
    + '\ndestination:' + escapeHeader(destination, mode, false) + '\n', 'utf8');
}

/** What a delivery writes between the subscription head and the message block, so the block must not repeat. */
export interface BlockOmits {
  /** The delivery has an `ack` header: a sender's `ack` is left out. */
  readonly ack: boolean;
  /** Names of the extra lines written (`redelivered`, `persistent`): a sender's headers of these names are left out. */
  readonly extra: ReadonlyArray<readonly [string, string]>;
}

/**
 * The message's part of a MESSAGE head, the same for every subscriber of one message: `message-id`, the sender's
 * headers, `content-length` and the blank line that ends the head (STOMP 1.2 §MESSAGE). Sender headers named like
 * one the broker writes are left out, as in {@link encodeMessageHead}. Throws like {@link encodeMessageHead}.
 *
 * Returns a string when the block is pure ASCII (its characters are its bytes: no encoding step needed), else the
 * UTF-8 bytes.
 */
export function encodeMessageBlock(
  version: StompVersion,
  messageId: string,
  userHeaders: Readonly<Record<string, string>>,
  bodyLength: number,
  omits: BlockOmits,
): string | Buffer {
  const mode: EscapeMode = version === '1.0' ? 0 : version === '1.1' ? 1 : 2;
  if (isEmpty(userHeaders) && isPlainAscii(messageId)) {
    // The usual message: a broker-made id, no header of the sender's own.
    return 'message-id:' + messageId + '\n' + contentLengthLine(bodyLength);
  }
  let s = 'message-id:' + escapeHeader(messageId, mode, false) + '\n';
  s += userHeaderLines(userHeaders, mode, omits.ack, omits.extra);
  s += contentLengthLine(bodyLength);
  // Mostly ASCII (ids, numbers, plain header names): then the text is its bytes, and the caller may copy it as is.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8');
  return s;
}

function isEmpty(headers: Readonly<Record<string, string>>): boolean {
  for (const _ in headers) return false;
  return true;
}

/**
 * A RECEIPT frame (STOMP 1.2 §RECEIPT): the same bytes as `encodeFrame('RECEIPT', [['receipt-id', id]])`. A
 * durable sender may ask for one per message, so the usual id (printable ASCII, nothing to escape) costs one string
 * and no buffer: its characters are its bytes, and the caller may copy it as is. Anything else is encoded by
 * encodeFrame, with its escaping and its checks (STOMP 1.2 §Value Encoding).
 */
export function encodeReceipt(receiptId: string, version: StompVersion): string | Buffer {
  if (isPlainAscii(receiptId)) return 'RECEIPT\nreceipt-id:' + receiptId + '\n\n\0';
  return encodeFrame('RECEIPT', [['receipt-id', receiptId]], undefined, version);
}

/** Printable ASCII without `:` or `\\`: the same in every version's escaping, one byte per character. */
function isPlainAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x3a || c === 0x5c) return false;
  }
  return true;
}

let lastBodyLength = -1;
let lastContentLength = '';

/** `content-length:<n>` and the blank line ending the head; the last one is kept (bodies of a stream often share a size). */
function contentLengthLine(bodyLength: number): string {
  if (bodyLength !== lastBodyLength) {
    lastBodyLength = bodyLength;
    lastContentLength = 'content-length:' + bodyLength + '\n\n';
  }
  return lastContentLength;
}
