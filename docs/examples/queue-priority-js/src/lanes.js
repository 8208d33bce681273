// @ts-check
/**
 * The held messages of a priority queue: one FIFO lane per priority. Taking the next message looks
 * at the lanes from 9 down to 0, so a higher priority goes first and, within a priority, the
 * oldest. A message that comes back (NACK, a subscriber that left) goes to the head of its lane:
 * it was sent before everything else of its priority that still waits.
 */
import { Deque } from '@wharf/core';
import { MAX_PRIORITY } from './settings.js';

/** @import { Message } from '@wharf/core' */

// #region held-message
/**
 * A message as the queue holds it.
 * @typedef {object} HeldMessage
 * @property {Message} message
 * @property {number} priority 0 (lowest) to 9, read once from the `priority` header when the message arrived.
 * @property {number} deliveryCount How many times it was handed out: 0 until the first delivery.
 * @property {number} size messageSize(message): what the queue reports to the broker's flow control.
 * @property {boolean} durable Kept in the durable store: removed from it once acknowledged.
 */
// #endregion held-message

export class PriorityLanes {
  /**
   * lanes[p] holds the messages of priority p, oldest first. Deque: O(1) at both ends.
   * @type {Deque<HeldMessage>[]}
   */
  #lanes = Array.from({ length: MAX_PRIORITY + 1 }, () => new Deque());
  #count = 0;

  get length() {
    return this.#count;
  }

  /**
   * A new message: at the tail of its lane (FIFO within a priority).
   * @param {HeldMessage} held
   */
  push(held) {
    this.#lanes[held.priority].push(held);
    this.#count++;
  }

  /**
   * A message that comes back: at the head of its lane, before the ones sent after it.
   * @param {HeldMessage} held
   */
  unshift(held) {
    this.#lanes[held.priority].unshift(held);
    this.#count++;
  }

  /**
   * The next message to deliver: the oldest of the highest priority.
   * @returns {HeldMessage | undefined}
   */
  shift() {
    if (this.#count === 0) return undefined;
    for (let p = MAX_PRIORITY; p >= 0; p--) {
      const held = this.#lanes[p].shift();
      if (held !== undefined) {
        this.#count--;
        return held;
      }
    }
    return undefined;
  }

  /**
   * The lowest priority held, or undefined when empty.
   * @returns {number | undefined}
   */
  lowestPriority() {
    if (this.#count === 0) return undefined;
    for (let p = 0; p <= MAX_PRIORITY; p++) if (this.#lanes[p].length > 0) return p;
    return undefined;
  }

  /**
   * Removes the least important message: the oldest of the lowest priority.
   * @returns {HeldMessage | undefined}
   */
  dropLowest() {
    const p = this.lowestPriority();
    if (p === undefined) return undefined;
    this.#count--;
    return this.#lanes[p].shift();
  }

  /**
   * Removes every message; returns them.
   * @returns {HeldMessage[]}
   */
  clear() {
    /** @type {HeldMessage[]} */
    const all = [];
    for (const lane of this.#lanes) {
      for (const held of lane) all.push(held);
      lane.clear();
    }
    this.#count = 0;
    return all;
  }
}
