/**
 * Collects the bytes of a line or a body that spans chunks, without copying large pieces and without keeping one
 * object per tiny piece.
 *
 * Pieces of at least {@link SMALL_PIECE} bytes are kept as views of the received chunks (zero copy); smaller pieces
 * are copied into a "tail" block that grows geometrically up to 64 KiB. So a peer that trickles a 4 MiB body one byte
 * per read costs about 70 blocks, not four million Buffer objects, and a body arriving in ordinary socket reads is
 * copied only once, when it is complete. Blocks are never written again where a view of them has been handed out.
 */

/** Pieces smaller than this are copied into the tail block rather than kept as views. */
export const SMALL_PIECE = 1024;
const TAIL_MIN = 4096;
const TAIL_MAX = 64 * 1024;

export class ByteAccumulator {
  /** Bytes held. */
  length = 0;
  private parts: Buffer[] = [];
  private tail: Buffer | undefined = undefined;
  private tailStart = 0;
  private tailEnd = 0;

  /**
   * Appends `piece`. `room` is how many more bytes (this piece included) may still come, used to size the tail
   * block; it is at least `piece.length`.
   */
  add(piece: Buffer, room: number): void {
    const n = piece.length;
    if (n === 0) return;
    this.length += n;
    if (n >= SMALL_PIECE) {
      this.seal();
      this.parts.push(piece);
      return;
    }
    let tail = this.tail;
    if (tail === undefined || tail.length - this.tailEnd < n) {
      this.seal();
      const grown = tail === undefined ? TAIL_MIN : Math.min(TAIL_MAX, tail.length * 2);
      // allocUnsafeSlow: a block of our own, not a slice of Node's shared pool.
      tail = Buffer.allocUnsafeSlow(Math.max(n, Math.min(grown, room)));
      this.tail = tail;
      this.tailStart = 0;
      this.tailEnd = 0;
    }
    piece.copy(tail, this.tailEnd);
    this.tailEnd += n;
  }

  /** All bytes held, as one Buffer (a view when they are one piece), and forgets them. */
  take(): Buffer {
    this.seal();
    const parts = this.parts;
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts, this.length);
    this.clear();
    return out;
  }

  clear(): void {
    this.parts = [];
    this.tail = undefined;
    this.tailStart = 0;
    this.tailEnd = 0;
    this.length = 0;
  }

  /** Moves the filled, not yet listed region of the tail block into the list of parts. */
  private seal(): void {
    if (this.tail !== undefined && this.tailEnd > this.tailStart) {
      this.parts.push(this.tail.subarray(this.tailStart, this.tailEnd));
      this.tailStart = this.tailEnd;
    }
  }
}
