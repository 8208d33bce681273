/**
 * The load generator's own STOMP codec. It is deliberately not Wharf's: the measurement must not
 * depend on the code it measures. It knows only what the generator needs:
 *
 * - encoding: whole frames from a command, plain headers (no escaping — the generator writes only
 *   safe values) and a body with `content-length` (STOMP 1.2 §Header content-length);
 * - SEND templates: one pre-encoded frame per producer, copied into a batch buffer with the
 *   producer id, sequence number and send timestamp patched into the body;
 * - parsing: frame boundaries only — command line, the blank line that ends the headers, the body
 *   by `content-length` (else up to the NUL), EOLs between frames skipped (STOMP 1.2
 *   §Heart-beating). Header values are looked up on demand, only when a frame needs one.
 */

export const LF = 0x0a;
export const CR = 0x0d;
export const NUL = 0x00;

/**
 * The first bytes of every generated body: producer id (u32 LE), sequence number (u32 LE), send
 * time in ms from `performance.now()` (f64 LE). The rest of the body is filler.
 */
export const PAYLOAD_HEADER_BYTES = 16;
export const PAYLOAD_PRODUCER = 0;
export const PAYLOAD_SEQ = 4;
export const PAYLOAD_TS = 8;

export type HeaderList = ReadonlyArray<readonly [string, string]>;

/** One whole frame: command, headers, blank line, body, NUL. A body gets a `content-length`. */
export function encodeFrame(command: string, headers: HeaderList = [], body?: Uint8Array): Buffer {
  let head = command + '\n';
  for (const [name, value] of headers) head += name + ':' + value + '\n';
  if (body !== undefined) head += 'content-length:' + body.byteLength + '\n';
  head += '\n';
  const headBytes = Buffer.byteLength(head, 'utf8');
  const bodyBytes = body === undefined ? 0 : body.byteLength;
  const out = Buffer.allocUnsafe(headBytes + bodyBytes + 1);
  out.write(head, 0, 'utf8');
  if (body !== undefined) out.set(body, headBytes);
  out[headBytes + bodyBytes] = NUL;
  return out;
}

/** A body of `size` bytes (at least the payload header) of filler, with the producer id written in. */
export function makeBody(size: number, producer: number): Buffer {
  if (size < PAYLOAD_HEADER_BYTES) throw new Error(`a message body must be at least ${PAYLOAD_HEADER_BYTES} bytes (asked for ${size})`);
  const body = Buffer.alloc(size, 0x78); // 'x'
  body.writeUInt32LE(producer, PAYLOAD_PRODUCER);
  body.writeUInt32LE(0, PAYLOAD_SEQ);
  body.writeDoubleLE(0, PAYLOAD_TS);
  return body;
}

/** A pre-encoded SEND frame for one producer; `fill` stamps a sequence number and a timestamp into a copy. */
export class SendTemplate {
  readonly frame: Buffer;
  readonly length: number;
  private readonly bodyOffset: number;

  constructor(destination: string, size: number, producer: number, extraHeaders: HeaderList = []) {
    this.frame = encodeFrame('SEND', [['destination', destination], ...extraHeaders], makeBody(size, producer));
    this.length = this.frame.length;
    this.bodyOffset = this.length - 1 - size;
  }

  /** Writes the frame at `offset` of `out` with this `seq` and `ts`; returns the offset after it. */
  fill(out: Buffer, offset: number, seq: number, ts: number): number {
    this.frame.copy(out, offset);
    const body = offset + this.bodyOffset;
    out.writeUInt32LE(seq >>> 0, body + PAYLOAD_SEQ);
    out.writeDoubleLE(ts, body + PAYLOAD_TS);
    return offset + this.length;
  }

  /** `count` consecutive frames with sequence numbers from `firstSeq`, all stamped `ts`, in one buffer. */
  batch(count: number, firstSeq: number, ts: number): Buffer {
    const out = Buffer.allocUnsafe(count * this.length);
    let offset = 0;
    for (let i = 0; i < count; i++) offset = this.fill(out, offset, firstSeq + i, ts);
    return out;
  }
}

/**
 * Where one parsed frame lies in `buf`: the command is `buf[start, commandEnd)`, header lines are
 * `buf[headersStart, headersEnd)`, the body `buf[bodyStart, bodyEnd)`. Valid only during the callback.
 */
export interface FrameView {
  buf: Buffer;
  start: number;
  commandEnd: number;
  headersStart: number;
  headersEnd: number;
  bodyStart: number;
  bodyEnd: number;
}

export type FrameCallback = (frame: FrameView) => void;

const CONTENT_LENGTH = Buffer.from('content-length:');

/** Finds frames in a byte stream cut anywhere; calls back once per whole frame, in order. */
export class FrameReader {
  /** The start of an unfinished frame, or null. */
  private pending: Buffer | null = null;
  /** The unfinished frame's whole length in bytes once its headers are known (content-length), else 0. */
  private needed = 0;
  /** Reused for every callback: the callee reads it synchronously. */
  private readonly view: FrameView = { buf: Buffer.alloc(0), start: 0, commandEnd: 0, headersStart: 0, headersEnd: 0, bodyStart: 0, bodyEnd: 0 };

  constructor(private readonly onFrame: FrameCallback) {}

  /** Bytes held back, waiting for the rest of their frame. */
  get pendingBytes(): number {
    return this.pending === null ? 0 : this.pending.length;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    const pending = this.pending;
    if (pending !== null) {
      this.pending = null;
      if (this.needed > 0 && pending.length + chunk.length >= this.needed) {
        // Complete the held frame with just the bytes it lacks, then read the chunk in place:
        // a large frame cut at every chunk boundary does not cost a copy of every chunk.
        const take = this.needed - pending.length;
        this.needed = 0;
        this.parse(Buffer.concat([pending, chunk.subarray(0, take)]), 0);
        pos = take;
      } else if (this.needed > 0) {
        this.pending = Buffer.concat([pending, chunk]);
        return;
      } else {
        buf = Buffer.concat([pending, chunk]);
      }
    }
    const stop = this.parse(buf, pos);
    if (stop < buf.length) this.pending = stop === 0 ? buf : buf.subarray(stop);
  }

  /** Calls back for every whole frame of `buf` from `pos`; returns where the unfinished one starts (or the end). */
  private parse(buf: Buffer, pos: number): number {
    const len = buf.length;
    const view = this.view;
    view.buf = buf;
    for (;;) {
      // EOLs between frames are heart-beats.
      while (pos < len && (buf[pos] === LF || buf[pos] === CR)) pos++;
      if (pos >= len) return len;
      const start = pos;
      let nl = buf.indexOf(LF, start);
      if (nl < 0) return start;
      view.start = start;
      view.commandEnd = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      view.headersStart = nl + 1;
      let contentLength = -1;
      let lineStart = nl + 1;
      let bodyStart = -1;
      for (;;) {
        nl = buf.indexOf(LF, lineStart);
        if (nl < 0) break;
        if (nl === lineStart || (nl === lineStart + 1 && buf[lineStart] === CR)) {
          view.headersEnd = lineStart;
          bodyStart = nl + 1;
          break;
        }
        // The first content-length wins (STOMP 1.2 §Repeated Header Entries).
        if (contentLength < 0 && nl - lineStart > 15 && buf[lineStart] === 0x63
          && buf.compare(CONTENT_LENGTH, 0, 15, lineStart, lineStart + 15) === 0) {
          contentLength = parseDecimal(buf, lineStart + 15, buf[nl - 1] === CR ? nl - 1 : nl);
        }
        lineStart = nl + 1;
      }
      if (bodyStart < 0) return start;
      let bodyEnd: number;
      if (contentLength >= 0) {
        bodyEnd = bodyStart + contentLength;
        if (bodyEnd >= len) {
          this.needed = bodyEnd + 1 - start;
          return start;
        }
        if (buf[bodyEnd] !== NUL) throw new Error(`frame body is not followed by NUL at byte ${bodyEnd} (content-length ${contentLength})`);
      } else {
        bodyEnd = buf.indexOf(NUL, bodyStart);
        if (bodyEnd < 0) return start;
      }
      view.bodyStart = bodyStart;
      view.bodyEnd = bodyEnd;
      pos = bodyEnd + 1;
      this.onFrame(view);
      view.buf = buf;
    }
  }
}

function parseDecimal(buf: Buffer, from: number, to: number): number {
  if (from >= to) throw new Error('empty content-length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) throw new Error(`invalid content-length ${buf.toString('latin1', from, to)}`);
    n = n * 10 + d;
  }
  return n;
}

/** The command of a parsed frame, as a string (allocates: for rare frames only). */
export function commandOf(frame: FrameView): string {
  return frame.buf.toString('latin1', frame.start, frame.commandEnd);
}

/** True when the frame's command is `command` (compares bytes, no allocation). */
export function isCommand(frame: FrameView, command: Buffer): boolean {
  const n = frame.commandEnd - frame.start;
  return n === command.length && frame.buf.compare(command, 0, n, frame.start, frame.commandEnd) === 0;
}

/** The first value of header `name`, undecoded (the generator's peers send plain values), or undefined. */
export function headerOf(frame: FrameView, name: string): string | undefined {
  const { buf, headersEnd } = frame;
  const prefixLength = name.length + 1;
  let lineStart = frame.headersStart;
  while (lineStart < headersEnd) {
    let nl = buf.indexOf(LF, lineStart);
    if (nl < 0 || nl > headersEnd) nl = headersEnd;
    const end = nl > lineStart && buf[nl - 1] === CR ? nl - 1 : nl;
    if (end - lineStart >= prefixLength && buf[lineStart + name.length] === 0x3a
      && buf.toString('latin1', lineStart, lineStart + name.length) === name) {
      return buf.toString('utf8', lineStart + prefixLength, end);
    }
    lineStart = nl + 1;
  }
  return undefined;
}

/** All headers of a frame as an object (first value wins), for errors and tests. */
export function headersOf(frame: FrameView): Record<string, string> {
  const out: Record<string, string> = {};
  const text = frame.buf.toString('utf8', frame.headersStart, frame.headersEnd);
  for (const line of text.split('\n')) {
    const clean = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (clean === '') continue;
    const colon = clean.indexOf(':');
    const name = colon < 0 ? clean : clean.slice(0, colon);
    if (!(name in out)) out[name] = colon < 0 ? '' : unescapeValue(clean.slice(colon + 1));
  }
  return out;
}

/** STOMP 1.2 §Value Encoding, for display: \c \n \r \\ back to their octets. */
function unescapeValue(value: string): string {
  if (!value.includes('\\')) return value;
  return value.replace(/\\([cnr\\])/g, (_, c: string) => (c === 'c' ? ':' : c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
}

export const COMMANDS = {
  MESSAGE: Buffer.from('MESSAGE'),
  RECEIPT: Buffer.from('RECEIPT'),
  CONNECTED: Buffer.from('CONNECTED'),
  ERROR: Buffer.from('ERROR'),
} as const;

/** The payload stamped by {@link SendTemplate}, read from a MESSAGE body. */
export function payloadProducer(frame: FrameView): number {
  return frame.buf.readUInt32LE(frame.bodyStart + PAYLOAD_PRODUCER);
}
export function payloadSeq(frame: FrameView): number {
  return frame.buf.readUInt32LE(frame.bodyStart + PAYLOAD_SEQ);
}
export function payloadTs(frame: FrameView): number {
  return frame.buf.readDoubleLE(frame.bodyStart + PAYLOAD_TS);
}
