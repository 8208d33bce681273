/**
 * What a queue holds, as the broker's flow control sees it (QueueContext.flow; docs/flow-control.md):
 * the bytes and count of its messages (held, pending and paged, not delivered), the part of those
 * bytes that is in memory (paged messages on disk are not), and whether it is over its
 * `highWaterMarkBytes`, when core pauses the producers that send to it until it is back under 80%
 * of the mark. Nothing is refused for it.
 *
 * MessageQueue (queue.ts) extends this, so that the accounting it does for every message it takes
 * in and hands out stays a direct method call on the queue (no object in between), while the
 * arithmetic of memory and water marks reads apart from dispatch, ordering and the store.
 */
import type { FlowSignal } from '@wharf/core';
import type { Removed } from './paging.js';
import type { QueueSettings } from './settings.js';

function noop(): void {}

/** Producers resume when the queue is back under this share of highWaterMarkBytes. */
const LOW_WATER_RATIO = 0.8;
/**
 * Memory a held message takes besides its bytes (its objects, its place in the queue), for the
 * broker's memory accounting: measured at about 400 bytes (RSS of 300,000 held 100-byte messages).
 */
const HELD_MESSAGE_OVERHEAD = 400;

export abstract class QueueMemory {
  /** Bytes (messageSize) of held, pending and paged messages: changed here only. */
  protected heldBytes = 0;
  private heldCount = 0;
  /** Bytes of paged messages whose pages are on disk (heldBytes minus this is in memory). */
  private diskBytes = 0;
  /** Over highWaterMarkBytes, until back under LOW_WATER_RATIO of it: producers are paused. */
  private blocked = false;
  private readonly highWater: number;
  private readonly lowWater: number;
  /** Reports held bytes to core's flow control (QueueContext.flow.held). */
  private readonly flowHeld: (delta: number) => void;

  constructor(settings: QueueSettings, private readonly flow: FlowSignal | undefined) {
    this.highWater = settings.highWaterMarkBytes ?? Number.POSITIVE_INFINITY;
    this.lowWater = Math.floor(this.highWater * LOW_WATER_RATIO);
    this.flowHeld = flow?.held ?? noop;
  }

  /** PagingHost: bytes of messages left memory (their pages are on disk). */
  pagedOut(bytes: number): void {
    this.diskBytes += bytes;
    this.flowHeld(-bytes);
  }

  /** Paged messages of `bytes` came back from disk: in memory again. */
  protected pagedBackIn(bytes: number): void {
    this.diskBytes -= bytes;
    this.flowHeld(bytes);
  }

  /** A message of `size` bytes joined the queue (or its pending line). */
  protected grew(size: number): void {
    this.heldBytes += size;
    this.heldCount++;
    this.flowHeld(size + HELD_MESSAGE_OVERHEAD);
    if (!this.blocked && this.heldBytes >= this.highWater) {
      this.blocked = true;
      this.flow?.blocked(true);
    }
  }

  /** `count` messages of `size` bytes in all left the queue. */
  protected shrank(size: number, count: number): void {
    this.heldBytes -= size;
    this.heldCount -= count;
    this.flowHeld(-(size + count * HELD_MESSAGE_OVERHEAD));
    this.checkLowWater();
  }

  /** Paged messages left the queue (purged, dropped): only their stubs' overhead was in memory for those on disk. */
  protected removedPaged(removed: Removed): void {
    if (removed.count === 0) return;
    const onDisk = removed.bytes - removed.inMemory;
    this.shrank(removed.inMemory, removed.count);
    this.heldBytes -= onDisk; // their bytes had left memory (and flow control's count) when paged out
    this.diskBytes -= onDisk;
    this.checkLowWater();
  }

  /** The queue closed: everything it held is given back at once, and its producers are not held back any more. */
  protected releasedAll(): void {
    this.flowHeld(-(this.heldBytes - this.diskBytes + this.heldCount * HELD_MESSAGE_OVERHEAD));
    this.heldBytes = 0;
    this.diskBytes = 0;
    this.heldCount = 0;
    if (this.blocked) {
      this.blocked = false;
      this.flow?.blocked(false);
    }
  }

  private checkLowWater(): void {
    if (this.blocked && this.heldBytes <= this.lowWater) {
      this.blocked = false;
      this.flow?.blocked(false);
    }
  }
}
