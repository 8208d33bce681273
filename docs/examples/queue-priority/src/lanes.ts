/**
 * The held messages of a priority queue: one FIFO lane per priority. Taking the next message looks
 * at the lanes from 9 down to 0, so a higher priority goes first and, within a priority, the
 * oldest. A message that comes back (NACK, a subscriber that left) goes to the head of its lane:
 * it was sent before everything else of its priority that still waits.
 */
import { Deque, type Message } from '@wharf/core';
import { MAX_PRIORITY } from './settings.js';

// #region held-message
/** A message as the queue holds it. */
export interface HeldMessage {
  readonly message: Message;
  /** 0 (lowest) to 9, read once from the `priority` header when the message arrived. */
  readonly priority: number;
  /** How many times it was handed out: 0 until the first delivery. */
  deliveryCount: number;
  /** messageSize(message): what the queue reports to the broker's flow control. */
  readonly size: number;
  /** Kept in the durable store: removed from it once acknowledged. */
  readonly durable: boolean;
}
// #endregion held-message

export class PriorityLanes {
  /** lanes[p] holds the messages of priority p, oldest first. Deque: O(1) at both ends. */
  private readonly lanes: Deque<HeldMessage>[] = Array.from({ length: MAX_PRIORITY + 1 }, () => new Deque<HeldMessage>());
  private count = 0;

  get length(): number {
    return this.count;
  }

  /** A new message: at the tail of its lane (FIFO within a priority). */
  push(held: HeldMessage): void {
    this.lanes[held.priority]!.push(held);
    this.count++;
  }

  /** A message that comes back: at the head of its lane, before the ones sent after it. */
  unshift(held: HeldMessage): void {
    this.lanes[held.priority]!.unshift(held);
    this.count++;
  }

  /** The next message to deliver: the oldest of the highest priority. */
  shift(): HeldMessage | undefined {
    if (this.count === 0) return undefined;
    for (let p = MAX_PRIORITY; p >= 0; p--) {
      const held = this.lanes[p]!.shift();
      if (held !== undefined) {
        this.count--;
        return held;
      }
    }
    return undefined;
  }

  /** The lowest priority held, or undefined when empty. */
  lowestPriority(): number | undefined {
    if (this.count === 0) return undefined;
    for (let p = 0; p <= MAX_PRIORITY; p++) if (this.lanes[p]!.length > 0) return p;
    return undefined;
  }

  /** Removes the least important message: the oldest of the lowest priority. */
  dropLowest(): HeldMessage | undefined {
    const p = this.lowestPriority();
    if (p === undefined) return undefined;
    this.count--;
    return this.lanes[p]!.shift();
  }

  /** Removes every message; returns them. */
  clear(): HeldMessage[] {
    const all: HeldMessage[] = [];
    for (const lane of this.lanes) {
      for (const held of lane) all.push(held);
      lane.clear();
    }
    this.count = 0;
    return all;
  }
}
