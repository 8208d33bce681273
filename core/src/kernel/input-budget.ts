/**
 * The broker-wide budget for bytes held in unfinished input frames (config `limits.inputBufferBytes`), one per
 * broker and shared by every listener and protocol adapter through `BrokerApi.inputBudget`. Per-connection limits
 * (a STOMP body of 4 MiB) do not bound the sum: 600 connections each holding an unfinished 4 MiB frame took 2.49 GB
 * (issue 15). Adapters count per chunk, so the cost is two additions per chunk that leaves a frame unfinished.
 *
 * What happens at the limit is the adapter's choice; the budget only says "over" and lets a connection wait. The
 * wait can never deadlock: a connection may wait only while some byte counted is held by a connection that is
 * not waiting itself (that one will complete its frame or go away, and free room); otherwise `waitForRoom`
 * refuses and the adapter fails the connection, which frees its bytes for the others.
 */
import type { InputBudget } from '../spi/protocol.js';

/** The default budget: 256 MiB, or a quarter of the memory alarm's high-watermark when that is smaller. */
export const DEFAULT_INPUT_BUFFER_BYTES = 256 * 1024 * 1024;

export function defaultInputBufferBytes(memoryHighWaterMark: number): number {
  return memoryHighWaterMark > 0 ? Math.min(DEFAULT_INPUT_BUFFER_BYTES, Math.floor(memoryHighWaterMark / 4)) : DEFAULT_INPUT_BUFFER_BYTES;
}

interface Waiter {
  readonly held: number;
  readonly resume: () => void;
}

export class SharedInputBudget implements InputBudget {
  used = 0;
  /** Bytes held by waiting connections (they cannot free any until they are woken). */
  private waitingHeld = 0;
  private waiters: Waiter[] = [];

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`the input budget must be a positive number of bytes, got ${String(limit)}`);
  }

  /** How many connections wait for room now (for tests and metrics). */
  get waiting(): number {
    return this.waiters.length;
  }

  grow(bytes: number): boolean {
    this.used += bytes;
    return this.used <= this.limit;
  }

  shrink(bytes: number): void {
    this.used -= bytes;
    if (this.used < 0) this.used = 0; // never below zero, whatever an adapter miscounts
    if (this.waiters.length > 0 && this.used < this.limit) this.wakeAll();
  }

  waitForRoom(held: number, resume: () => void): (() => void) | undefined {
    if (this.used <= this.limit) {
      // Room freed between the adapter's grow and this call: go on at once, but after the caller has paused.
      queueMicrotask(resume);
      return () => {};
    }
    // Nobody else who is still reading holds anything: no frame will complete, no room will free.
    if (this.used - this.waitingHeld - held <= 0) return undefined;
    const waiter: Waiter = { held, resume };
    this.waiters.push(waiter);
    this.waitingHeld += held;
    return () => {
      const i = this.waiters.indexOf(waiter);
      if (i === -1) return;
      this.waiters.splice(i, 1);
      this.waitingHeld -= held;
    };
  }

  /**
   * Every waiter reads again, in the order they came. Each may read one more chunk past the limit before it waits
   * again: the overshoot is one socket read per waiting connection, and no connection is starved by a luckier one.
   */
  private wakeAll(): void {
    const woken = this.waiters;
    this.waiters = [];
    for (const waiter of woken) this.waitingHeld -= waiter.held;
    for (const waiter of woken) waiter.resume();
  }
}
