/**
 * The output side every protocol adapter needs: bytes queued during a tick go to the stream in one
 * write (one `writev` on a socket), and the writer says "full" once the client falls behind, so the
 * adapter can answer `Consumer.deliver()` with false and resume its subscriptions on `onDrain`.
 * It lives in core so that each adapter does not re-derive it from another adapter's internals.
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

export class BatchedWriter {
  private out: Buffer[] = [];
  private outBytes = 0;
  private flushScheduled = false;
  private blocked = false;
  private ended = false;
  /** Sockets take corked buffers as one writev; other streams (WebSocket) one joined buffer per tick. */
  private readonly writev: boolean;
  private readonly highWaterMark: number;
  private readonly onDrain: () => void;
  private readonly onFlush: (() => void) | undefined;
  private readonly written = (): void => this.drained();

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
    if (Buffer.isBuffer(bytes)) {
      this.out.push(bytes);
      this.outBytes += bytes.length;
    } else {
      for (const piece of bytes) {
        this.out.push(piece);
        this.outBytes += piece.length;
      }
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(() => this.flush());
    }
    if (this.backlog >= this.highWaterMark) {
      this.blocked = true;
      return false;
    }
    return true;
  }

  /** Writes what is queued now (the tick's batch, or a last error line before a close). */
  flush(): void {
    this.flushScheduled = false;
    if (this.out.length === 0) return;
    const batch = this.out;
    this.out = [];
    this.outBytes = 0;
    if (this.stream.destroyed || !this.stream.writable) return;
    // While the client is behind, the batch's completion re-checks the level: the stream's own
    // 'drain' comes only past *its* high-water mark, which may lie above ours.
    const written = this.blocked ? this.written : undefined;
    if (this.writev && batch.length > 1) {
      this.stream.cork();
      const last = batch.length - 1;
      for (let i = 0; i < last; i++) this.stream.write(batch[i]!);
      this.stream.write(batch[last]!, written);
      this.stream.uncork();
    } else {
      this.stream.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch), written);
    }
    this.onFlush?.();
    // Still below the mark: resume at once; otherwise the stream's 'drain' will.
    if (this.blocked && this.stream.writableLength < this.highWaterMark) this.drained();
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

  private drained(): void {
    if (!this.blocked || this.ended || this.backlog >= this.highWaterMark) return;
    this.blocked = false;
    this.onDrain();
  }
}
