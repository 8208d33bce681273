/**
 * The output side every protocol adapter needs: bytes queued during a tick go to the stream in one
 * write (one `writev` on a socket), and the writer says "full" once the client falls behind, so the
 * adapter can answer `Consumer.deliver()` with false and resume its subscriptions on `onDrain`.
 * It lives in core so that each adapter does not re-derive it from another adapter's internals.
 *
 * A frame may be queued in pieces (`add`, `addLatin1`, then `write` for the last): a head the
 * adapter keeps encoded, a body shared by every subscriber of a topic, a constant terminator. At
 * the flush, runs of small pieces are copied into one buffer and large pieces (message bodies) are
 * handed to the socket as they are: a tick's batch reaches the kernel as a few large buffers, with
 * no per-frame allocation and no copy of a large body, however many subscribers share it.
 */
import { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface BatchedWriterOptions {
  /** Bytes queued here plus in the stream at which `write()` answers false. */
  readonly highWaterMark: number;
  /** The backlog fell below the mark after a `write()` answered false: resume delivering. */
  readonly onDrain: () => void;
  /** A batch went to the stream (e.g. to note the time for heart-beats). */
  readonly onFlush?: () => void;
}

/** Pieces of at least this many bytes go to the socket by reference; smaller ones are copied together. */
export const BATCH_COPY_LIMIT = 1024;

export class BatchedWriter {
  /** Buffers, and strings of one-byte characters (`addLatin1`), in order. */
  private out: Array<Buffer | string> = [];
  private outBytes = 0;
  /** Pieces of BATCH_COPY_LIMIT bytes or more in `out` (none: the batch is copied whole at once). */
  private largePieces = 0;
  private flushScheduled = false;
  private blocked = false;
  private ended = false;
  /** Sockets take corked buffers as one writev; other streams (WebSocket) one joined buffer per tick. */
  private readonly writev: boolean;
  private readonly highWaterMark: number;
  private readonly onDrain: () => void;
  private readonly onFlush: (() => void) | undefined;
  private readonly written = (): void => this.drained();
  private readonly flushSoon = (): void => this.flush();

  constructor(private readonly stream: Duplex, options: BatchedWriterOptions) {
    this.highWaterMark = options.highWaterMark;
    this.onDrain = options.onDrain;
    this.onFlush = options.onFlush;
    this.writev = stream instanceof Socket;
    stream.on('drain', () => this.drained());
  }

  /** Bytes waiting here and in the stream. */
  get backlog(): number {
    return this.outBytes + this.stream.writableLength;
  }

  /** True after `write()` answered false, until `onDrain` runs. */
  get full(): boolean {
    return this.blocked;
  }

  /**
   * Queues bytes; they go out with everything else written this tick. Returns false when the client
   * is behind: send it nothing more until `onDrain`. Bytes written after `end()` are dropped.
   */
  write(bytes: Buffer | readonly Buffer[]): boolean {
    if (this.ended) return false;
    if (Buffer.isBuffer(bytes)) this.add(bytes);
    else for (const piece of bytes) this.add(piece);
    return this.accepting();
  }

  /**
   * Queues one piece of a frame without asking whether the client keeps up: the caller finishes the
   * frame with `write()` (or asks `accepting()`). The piece is not copied when it is large: it must
   * not change until it has been written.
   */
  add(piece: Buffer): void {
    if (this.ended) return;
    this.out.push(piece);
    this.outBytes += piece.length;
    if (piece.length >= BATCH_COPY_LIMIT) this.largePieces++;
    this.schedule();
  }

  /** Like `add`, for text of one-byte characters only (an ASCII header line): copied at the flush. */
  addLatin1(text: string): void {
    if (this.ended) return;
    this.out.push(text);
    this.outBytes += text.length;
    this.schedule();
  }

  /** Whether the client keeps up; false (and `full`) past the high-water mark, until `onDrain`. */
  accepting(): boolean {
    if (this.ended) return false;
    if (this.outBytes + this.stream.writableLength >= this.highWaterMark) {
      this.blocked = true;
      return false;
    }
    return true;
  }

  /** Writes what is queued now (the tick's batch, or a last error line before a close). */
  flush(): void {
    this.flushScheduled = false;
    const count = this.out.length;
    if (count === 0) return;
    const batch = this.out;
    const bytes = this.outBytes;
    const large = this.largePieces;
    this.out = [];
    this.outBytes = 0;
    this.largePieces = 0;
    const stream = this.stream;
    if (stream.destroyed || !stream.writable) return;
    // While the client is behind, the batch's completion re-checks the level: the stream's own
    // 'drain' comes only past *its* high-water mark, which may lie above ours.
    const written = this.blocked ? this.written : undefined;
    const only = batch[0]!;
    if (count === 1 && typeof only !== 'string') {
      stream.write(only, written);
    } else if (!this.writev || large === 0) {
      stream.write(join(batch, 0, count, bytes), written);
    } else {
      const chunks = coalesce(batch, count);
      if (chunks.length === 1) stream.write(chunks[0]!, written);
      else {
        stream.cork();
        const last = chunks.length - 1;
        for (let i = 0; i < last; i++) stream.write(chunks[i]!);
        stream.write(chunks[last]!, written);
        stream.uncork();
      }
    }
    this.onFlush?.();
    // Still below the mark: resume at once; otherwise the stream's 'drain' will.
    if (this.blocked && stream.writableLength < this.highWaterMark) this.drained();
  }

  /**
   * Flushes what is queued and ends the stream. A client that never reads what it was sent (an
   * error line, say) cannot hold the socket: it is destroyed after `graceMs`.
   */
  end(graceMs: number): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    if (!this.stream.destroyed) this.stream.end();
    setTimeout(() => this.stream.destroy(), graceMs).unref();
  }

  private schedule(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flushSoon);
    }
  }

  private drained(): void {
    if (!this.blocked || this.ended || this.backlog >= this.highWaterMark) return;
    this.blocked = false;
    this.onDrain();
  }
}

function isLarge(piece: Buffer | string): piece is Buffer {
  return typeof piece !== 'string' && piece.length >= BATCH_COPY_LIMIT;
}

/** The batch as buffers for one writev: runs of small pieces joined, large pieces as they are. */
function coalesce(batch: ReadonlyArray<Buffer | string>, count: number): Buffer[] {
  const chunks: Buffer[] = [];
  let runStart = 0;
  let runBytes = 0;
  for (let i = 0; i < count; i++) {
    const piece = batch[i]!;
    if (isLarge(piece)) {
      if (runBytes > 0) chunks.push(join(batch, runStart, i, runBytes));
      chunks.push(piece);
      runStart = i + 1;
      runBytes = 0;
    } else {
      runBytes += piece.length;
    }
  }
  if (runBytes > 0) chunks.push(join(batch, runStart, count, runBytes));
  return chunks;
}

/** Text up to this many characters is copied by a loop, longer text by Buffer#write. */
const SHORT_TEXT = 16;

/** Copies pieces [from, to) into one new buffer of `bytes` bytes (a single buffer is returned as is). */
function join(batch: ReadonlyArray<Buffer | string>, from: number, to: number, bytes: number): Buffer {
  if (to - from === 1 && typeof batch[from] !== 'string') return batch[from] as Buffer;
  const out = Buffer.allocUnsafe(bytes);
  let offset = 0;
  for (let i = from; i < to; i++) {
    const piece = batch[i]!;
    if (typeof piece === 'string') {
      // Only the shortest text (a tag, a NUL) is copied faster by a loop than by a native call: the
      // text here is mostly concatenated on the way (V8 cons strings), which a charCodeAt loop
      // walks slowly (measured: a MESSAGE's and a RECEIPT's pieces copied in half the time with
      // the native call above 16 characters than above 64).
      if (piece.length > SHORT_TEXT) out.write(piece, offset, piece.length, 'latin1');
      else for (let k = 0; k < piece.length; k++) out[offset + k] = piece.charCodeAt(k);
      offset += piece.length;
    } else {
      const n = piece.length;
      // A typed-array copy costs more than a short loop for the smallest pieces (a NUL, a header line).
      if (n > 32) out.set(piece, offset);
      else for (let k = 0; k < n; k++) out[offset + k] = piece[k]!;
      offset += n;
    }
  }
  return out;
}
