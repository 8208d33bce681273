/**
 * Two connected in-memory Duplex streams (what one writes, the other reads), for driving protocol
 * adapters without sockets. Node 20 has no stream.duplexPair(); this is the same idea.
 *
 * Like a socket, a reader that does not read holds up the writer: a write completes only once the
 * peer's read buffer has room (its `_read` is called), so the writer's `writableLength` grows and
 * `write()` answers false. Tests of backpressure pause one end and watch the other stall.
 */
import { Duplex } from 'node:stream';

class MemoryEnd extends Duplex {
  peer!: MemoryEnd;
  /** The peer's write that waits until this end's reader wants more. */
  private waitingWrite: (() => void) | undefined;

  constructor(highWaterMark: number) {
    super({ highWaterMark, allowHalfOpen: false });
  }

  override _read(): void {
    // Data is pushed by the peer's writes; wanting more releases the write that waits for room.
    const release = this.waitingWrite;
    this.waitingWrite = undefined;
    release?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    // Delivered on a later tick, as a socket would, so writers never re-enter readers.
    setImmediate(() => {
      const peer = this.peer;
      if (peer.destroyed || peer.push(chunk)) callback();
      else peer.waitingWrite = () => callback();
    });
  }

  override _final(callback: (error?: Error | null) => void): void {
    setImmediate(() => {
      if (!this.peer.destroyed) this.peer.push(null);
      callback();
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A write waiting for this end to read completes (its bytes are lost, as on a reset socket).
    const release = this.waitingWrite;
    this.waitingWrite = undefined;
    release?.();
    setImmediate(() => {
      if (!this.peer.destroyed) this.peer.destroy();
    });
    callback(error);
  }
}

export function memoryDuplexPair(highWaterMark = 16 * 1024): [Duplex, Duplex] {
  const a = new MemoryEnd(highWaterMark);
  const b = new MemoryEnd(highWaterMark);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
