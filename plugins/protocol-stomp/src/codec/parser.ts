/**
 * The incremental STOMP frame parser. STOMP 1.2 §Augmented BNF:
 *
 *     frame       = command EOL *( header EOL ) EOL *OCTET NULL *( EOL )
 *     EOL         = [CR] LF
 *     header      = header-name ":" header-value
 *
 * Design, for speed and for safety against hostile peers:
 * - Each received byte is scanned once: lines are found with `indexOf(LF)` and NUL-terminated bodies with
 *   `indexOf(NUL)`, always from where the last scan stopped; nothing is re-scanned when more data arrives.
 * - Chunks are never concatenated wholesale. Only a line or a body that spans chunks is collected (see
 *   {@link ByteAccumulator}) and joined once, when complete. A body inside one chunk is a view of it (zero copy).
 * - Nothing is ever written into a received chunk and no buffer is reused, so frames' bodies may be retained.
 * - Every limit is checked on partial data, so a peer cannot make the parser hold more than about one limit's worth.
 * - No regex: commands are checked byte by byte, header lines with `indexOf`.
 * What a header line's bytes say (known names, repeated values, content-length) is read by header-bytes.ts; what a
 * frame over a limit is told, by frame-limits.ts. The per-byte loop and every limit comparison are here.
 */
import { ByteAccumulator } from './accumulator.js';
import { StompCodecError, type PartialFrame, type StompCodecErrorCode } from './errors.js';
import { escapeModeFor, unescapeHeader, type EscapeMode } from './escape.js';
import { checkLimit, contentLengthOverBody, frameTooLarge, lineTooLong, noNulWithinBody, tooManyHeaders } from './frame-limits.js';
import {
  HEADER_NAMES, decimalOctets, decodedBadUtf8, knownCommand, knownHeader, nonPrintableOctet, notUtf8Message, reusedValue, undefinedEscapeMessage,
} from './header-bytes.js';
import type { CodecLimitName, CodecLimits, Frame, StompVersion } from './types.js';

const LF = 10;
const CR = 13;
const NUL = 0;
const COLON = 58;
const BACKSLASH = 92;
const HAS_BACKSLASH = 1;
const HAS_CR = 2;
const HAS_NON_ASCII = 4;
/** headerLine's `colon` when parse() did not scan the line (it spanned chunks) or must scan it again (CRLF). */
const UNSCANNED = -2;
const RESCAN_CR = -3;

const EMPTY = Buffer.alloc(0);

/** Parser states. */
const S_COMMAND = 0; // at a frame boundary, reading the command line (an empty line is a heart-beat)
const S_HEADER = 1; // reading header lines until the blank line
const S_BODY_LENGTH = 2; // reading exactly `remaining` body bytes, then a NUL
const S_BODY_NUL = 3; // reading body bytes up to the first NUL
type State = typeof S_COMMAND | typeof S_HEADER | typeof S_BODY_LENGTH | typeof S_BODY_NUL;

/**
 * Turns a byte stream, split any which way, into {@link Frame}s.
 *
 * `push()` is synchronous: `onFrame` and `onHeartbeat` run inside it, in stream order. The session may set
 * `version` from inside `onFrame` (after CONNECT) and it applies from the next frame on; it may call `destroy()`
 * from inside a callback to stop parsing at once.
 *
 * Any error — a {@link StompCodecError} for a protocol violation, or whatever a callback throws — propagates out of
 * `push()` and leaves the parser dead: every later `push()` throws the same error.
 */
export class FrameParser {
  /**
   * Decides how headers are unescaped (STOMP 1.2 §Value Encoding). '1.0' until the session has negotiated a version;
   * CONNECT, STOMP and CONNECTED frames are never unescaped, whatever it says.
   */
  version: StompVersion = '1.0';

  private maxBody = 0;
  private maxHeaders = 0;
  private maxLine = 0;
  private maxFrame = Infinity;

  private state: State = S_COMMAND;
  /** The partial line, or the body received so far, when it spans chunks. */
  private readonly held = new ByteAccumulator();
  /** Bytes of the current frame's complete lines (command, headers, EOLs). */
  private headBytes = 0;
  private command: string | undefined = undefined;
  private headers: Array<[string, string]> = [];
  private mode: EscapeMode = 0;
  private contentLength = -1;
  /** The last value of each common header (by its index in HEADER_NAMES), for reuse. */
  private readonly lastValues: Array<string | undefined> = [];
  /** Body bytes still expected, in S_BODY_LENGTH. */
  private remaining = 0;
  /** Most body bytes allowed, in S_BODY_NUL, and the limit that sets it. */
  private bodyCap = 0;
  private bodyCapLimit: CodecLimitName = 'maxBodyBytes';

  private dead: unknown = undefined;
  private isDead = false;
  private destroyed = false;

  constructor(
    limits: CodecLimits,
    private readonly onFrame: (frame: Frame) => void,
    private readonly onHeartbeat?: () => void,
  ) {
    this.setLimits(limits);
  }

  /**
   * Replaces the limits, e.g. the small ones of a connection not logged in yet by the listener's own once it is
   * (docs/security.md "Input limits"). They apply from the next check on; the checks are the same whichever limits
   * are set, so switching costs nothing per byte. Call it between frames (from `onFrame`).
   */
  setLimits(limits: CodecLimits): void {
    this.maxBody = checkLimit('maxBodyBytes', limits.maxBodyBytes);
    this.maxHeaders = checkLimit('maxHeaders', limits.maxHeaders);
    this.maxLine = checkLimit('maxHeaderLineBytes', limits.maxHeaderLineBytes);
    this.maxFrame = limits.maxFrameBytes === undefined ? Infinity : checkLimit('maxFrameBytes', limits.maxFrameBytes);
  }

  /** Bytes of an incomplete frame received so far (0 at a frame boundary). */
  get buffered(): number {
    return this.headBytes + this.held.length;
  }

  /** The unfinished frame's command and headers read so far (so an ERROR about it can carry `receipt-id`). */
  get partial(): PartialFrame | undefined {
    return this.state === S_COMMAND || this.command === undefined ? undefined : { command: this.command, headers: this.headers };
  }

  /** True once a violation (or a throwing callback) has stopped the parser. */
  get failed(): boolean {
    return this.isDead;
  }

  /** Stops parsing at once, even mid-chunk, and drops held bytes; later `push()` calls are ignored. */
  destroy(): void {
    this.destroyed = true;
    this.release();
  }

  /** Parses as many frames as `chunk` completes. Throws on a violation; the parser is then dead. */
  push(chunk: Buffer): void {
    if (this.isDead) throw this.dead;
    if (this.destroyed) return;
    try {
      this.parse(chunk);
    } catch (err) {
      this.isDead = true;
      this.dead = err;
      this.release();
      throw err;
    }
  }

  private release(): void {
    this.held.clear();
    this.headBytes = 0;
    this.headers = [];
    this.command = undefined;
  }

  private parse(chunk: Buffer): void {
    const len = chunk.length;
    let pos = 0;
    while (pos < len && !this.destroyed) {
      switch (this.state) {
        case S_COMMAND:
        case S_HEADER: {
          // Lines are short: a plain loop finds the LF faster than a native indexOf call, and notes on the way
          // what headerLine needs (the first colon; escapes, CRs, non-ASCII bytes), so a line is read once.
          let lf = pos;
          let colon = -1;
          let flags = 0;
          for (; lf < len; lf++) {
            const c = chunk[lf]!;
            if (c === LF) break;
            if (c === COLON) {
              if (colon === -1) colon = lf;
            } else if (c === BACKSLASH) flags |= HAS_BACKSLASH;
            else if (c === CR) flags |= HAS_CR;
            else if (c > 0x7f) flags |= HAS_NON_ASCII;
          }
          if (lf === len) {
            this.holdPartialLine(chunk, pos);
            return;
          }
          let buf: Buffer;
          let start: number;
          let end: number;
          if (this.held.length === 0) {
            buf = chunk;
            start = pos;
            end = lf;
          } else {
            this.held.add(chunk.subarray(pos, lf), lf - pos);
            buf = this.held.take();
            start = 0;
            end = buf.length;
            colon = UNSCANNED;
          }
          const lineBytes = end - start + 1;
          pos = lf + 1;
          // STOMP 1.2 §Augmented BNF: EOL = [CR] LF. Accepted for every version.
          if (end > start && buf[end - 1] === CR) {
            end--;
            // The CR of the EOL is not part of the line: rescan for one inside it (rare: only lines ending in CRLF).
            if (colon !== UNSCANNED) colon = RESCAN_CR;
          }
          if (end - start > this.maxLine) throw lineTooLong(this.state === S_COMMAND, this.maxLine, this.partial);
          if (this.state === S_COMMAND) this.commandLine(buf, start, end, lineBytes);
          else this.headerLine(buf, start, end, lineBytes, colon, flags);
          break;
        }
        case S_BODY_LENGTH: {
          // STOMP 1.2 §Header content-length: "this number of octets MUST be read, regardless of whether or not there
          // are NULL octets in the body. The frame still needs to be terminated with a NULL octet."
          const need = this.remaining;
          const avail = len - pos;
          if (avail <= need) {
            this.held.add(pos === 0 ? chunk : chunk.subarray(pos), need);
            this.remaining -= avail;
            return;
          }
          if (chunk[pos + need] !== NUL) {
            this.fail('syntax', `the ${this.contentLength} body bytes given by content-length are not followed by a NUL octet`);
          }
          let body: Buffer;
          if (this.held.length === 0) body = need === 0 ? EMPTY : chunk.subarray(pos, pos + need);
          else {
            this.held.add(chunk.subarray(pos, pos + need), need);
            body = this.held.take();
          }
          pos += need + 1;
          this.emit(body);
          break;
        }
        case S_BODY_NUL: {
          // STOMP 1.2 §STOMP Frames: without content-length the body runs to the first NUL octet. The scan is bounded
          // so that a peer that never sends the NUL is stopped at the body limit.
          const room = this.bodyCap - this.held.length;
          const scanEnd = pos + room + 1; // the NUL may sit at scanEnd - 1 at the latest
          let nul: number;
          if (scanEnd >= len) nul = chunk.indexOf(NUL, pos);
          else {
            const k = chunk.subarray(pos, scanEnd).indexOf(NUL);
            nul = k === -1 ? -1 : pos + k;
          }
          if (nul === -1) {
            const n = Math.min(len, scanEnd) - pos;
            if (n > room) this.bodyTooLarge();
            this.held.add(pos === 0 ? chunk : chunk.subarray(pos), room);
            return;
          }
          let body: Buffer;
          if (this.held.length === 0) body = nul === pos ? EMPTY : chunk.subarray(pos, nul);
          else {
            this.held.add(chunk.subarray(pos, nul), room);
            body = this.held.take();
          }
          pos = nul + 1;
          this.emit(body);
          break;
        }
      }
    }
  }

  /** Keeps the unterminated tail of a line, checking the limits before holding it. */
  private holdPartialLine(chunk: Buffer, pos: number): void {
    const held = this.held.length + (chunk.length - pos);
    // One extra byte is allowed for the CR of a CRLF end that has not arrived yet.
    if (held > this.maxLine + 1) throw lineTooLong(this.state === S_COMMAND, this.maxLine, this.partial);
    if (this.headBytes + held > this.maxFrame) this.frameTooLarge();
    this.held.add(pos === 0 ? chunk : chunk.subarray(pos), this.maxLine + 1 - this.held.length);
  }

  private commandLine(buf: Buffer, start: number, end: number, lineBytes: number): void {
    if (end === start) {
      // STOMP 1.2 §Heart-beating: an EOL between frames is a heart-beat.
      this.onHeartbeat?.();
      return;
    }
    // STOMP 1.2 §Augmented BNF: the command is a word; which words are known is the session's business, but a
    // command line must be printable ASCII.
    const bad = nonPrintableOctet(buf, start, end);
    if (bad !== -1) this.fail('syntax', `the command line contains the non-printable octet 0x${bad.toString(16).padStart(2, '0')}`);
    const command = knownCommand(buf, start, end) ?? buf.toString('latin1', start, end);
    this.command = command;
    this.headers = [];
    this.contentLength = -1;
    this.headBytes = lineBytes;
    if (this.headBytes > this.maxFrame) this.frameTooLarge();
    this.mode = escapeModeFor(command, this.version);
    this.state = S_HEADER;
  }

  /**
   * One header line, `buf[start, end)` without its EOL. `colon` and `flags` come from parse()'s scan of the line
   * (the first colon's index, or -1; the HAS_* bits), or are UNSCANNED / RESCAN_CR when this must scan it itself.
   */
  private headerLine(buf: Buffer, start: number, end: number, lineBytes: number, colon: number, flags: number): void {
    this.headBytes += lineBytes;
    if (this.headBytes > this.maxFrame) this.frameTooLarge();
    if (end === start) {
      this.endOfHeaders();
      return;
    }
    // STOMP 1.2 §Size Limits: "the number of frame headers allowed in a single frame".
    if (this.headers.length >= this.maxHeaders) throw tooManyHeaders(this.maxHeaders, this.partial);
    if (colon === UNSCANNED || colon === RESCAN_CR) {
      // Split at the first colon: in 1.1+ a colon inside a name or value travels as `\c`, and 1.0 values (and those
      // of CONNECT frames) may hold raw colons.
      colon = -1;
      flags = 0;
      for (let i = start; i < end; i++) {
        const c = buf[i]!;
        if (c === COLON) {
          if (colon === -1) colon = i;
        } else if (c === BACKSLASH) flags |= HAS_BACKSLASH;
        else if (c === CR) flags |= HAS_CR;
        else if (c > 0x7f) flags |= HAS_NON_ASCII;
      }
    }
    if (colon === -1) this.fail('syntax', 'a header line has no colon');
    if (colon === start) this.fail('syntax', 'a header line has an empty name');
    // STOMP 1.2 §Value Encoding: "This specification uses UTF-8 encoding for its commands and headers." A UTF-8
    // sequence never contains the colon's byte, so decoding name and value apart equals decoding the line.
    let name: string;
    let value: string;
    const known = (flags & HAS_NON_ASCII) === 0 ? knownHeader(buf, start, colon) : -1;
    if (known === -1) {
      const encoding = (flags & HAS_NON_ASCII) === 0 ? 'latin1' : 'utf8';
      name = buf.toString(encoding, start, colon);
      value = colon + 1 === end ? '' : buf.toString(encoding, colon + 1, end);
      // STOMP 1.2 §Value Encoding: headers are UTF-8; a line that is not is refused, for every header and version.
      if (encoding === 'utf8' && decodedBadUtf8(name, value, buf, start, end)) this.fail('encoding', notUtf8Message(buf, start, colon));
    } else {
      name = HEADER_NAMES[known]!;
      value = reusedValue(this.lastValues, known, buf, colon + 1, end);
    }
    if (this.mode !== 0) {
      // STOMP 1.2 §Augmented BNF: header names and values exclude CR; a CR can only travel as `\r`.
      if (this.mode === 2 && (flags & HAS_CR) !== 0) this.fail('syntax', 'a header line contains a raw carriage return');
      if ((flags & HAS_BACKSLASH) !== 0) {
        const n = unescapeHeader(name, this.mode === 2);
        const v = unescapeHeader(value, this.mode === 2);
        // STOMP 1.2 §Value Encoding: "Undefined escape sequences such as \t (octet 92 and 116) MUST be treated as a
        // fatal protocol error."
        if (n === undefined || v === undefined) this.fail('escape', undefinedEscapeMessage(n ?? name, this.version));
        name = n;
        value = v;
      }
    }
    this.headers.push([name, value]);
    // STOMP 1.2 §Repeated Header Entries: only the first content-length counts.
    if (this.contentLength === -1 && name === 'content-length') this.contentLength = this.parseContentLength(value);
  }

  /** STOMP 1.2 §Header content-length: an octet count, i.e. a non-negative decimal integer. */
  private parseContentLength(value: string): number {
    const n = decimalOctets(value);
    if (n === -1) {
      this.fail('syntax', value.length === 0 ? 'content-length is empty' : `content-length ${JSON.stringify(value)} is not a non-negative decimal integer`);
    }
    // STOMP 1.2 §Size Limits: refuse as soon as the header says so, without waiting for the bytes.
    if (n > this.maxBody) throw contentLengthOverBody(value, this.maxBody, this.partial);
    if (this.headBytes + n > this.maxFrame) this.frameTooLarge();
    return n;
  }

  private endOfHeaders(): void {
    if (this.contentLength >= 0) {
      // Checked again here: the header lines after content-length count towards the frame too.
      if (this.headBytes + this.contentLength > this.maxFrame) this.frameTooLarge();
      this.remaining = this.contentLength;
      this.state = S_BODY_LENGTH;
    } else {
      const frameRoom = this.maxFrame - this.headBytes;
      if (frameRoom < this.maxBody) {
        this.bodyCap = frameRoom;
        this.bodyCapLimit = 'maxFrameBytes';
      } else {
        this.bodyCap = this.maxBody;
        this.bodyCapLimit = 'maxBodyBytes';
      }
      this.state = S_BODY_NUL;
    }
  }

  private emit(body: Buffer): void {
    const frame: Frame = { command: this.command!, headers: this.headers, body };
    this.state = S_COMMAND;
    this.command = undefined;
    this.headers = [];
    this.headBytes = 0;
    this.onFrame(frame);
  }

  private bodyTooLarge(): never {
    if (this.bodyCapLimit === 'maxFrameBytes') this.frameTooLarge();
    throw noNulWithinBody(this.maxBody, this.partial);
  }

  private frameTooLarge(): never {
    throw frameTooLarge(this.maxFrame, this.partial);
  }

  private fail(code: StompCodecErrorCode, message: string, limit?: CodecLimitName): never {
    throw new StompCodecError(code, message, limit, this.partial);
  }
}
