// @ts-check
/**
 * Messages accepted but not yet in the queue, in the order they were published: a durable one
 * waits for the store's group commit, and every message published after it waits too, so a later
 * message never overtakes an earlier one (docs/durability.md: order holds across durable and plain).
 */
import { Deque } from '@wharf/core';

/** @import { HeldMessage } from './lanes.js' */

/**
 * What became of a message when it leaves the line: stored, refused by the store, or plain.
 * @typedef {'stored' | 'refused' | 'plain'} Outcome
 */

/**
 * @typedef {object} Entry
 * @property {HeldMessage} held
 * @property {Promise<void> | undefined} commit The promise of the store batch that holds it; undefined for a plain message.
 * @property {Outcome | 'waiting'} state
 */

// #region commit-line
export class CommitLine {
  /** @type {Deque<Entry>} */
  #entries = new Deque();
  /**
   * The promise of the last durable append, which already has a handler.
   * @type {Promise<void> | undefined}
   */
  #lastCommit = undefined;
  #closed = false;
  #leave;
  #moved;

  /**
   * @param {(held: HeldMessage, outcome: Outcome) => void} leave called for each message that leaves the head of the line, oldest first
   * @param {() => void} moved called after a batch settled and what could leave has left
   */
  constructor(leave, moved) {
    this.#leave = leave;
    this.#moved = moved;
  }

  get length() {
    return this.#entries.length;
  }

  /**
   * A plain message published while the line is not empty: it waits its turn behind the others.
   * @param {HeldMessage} held
   */
  follow(held) {
    this.#entries.push({ held, commit: undefined, state: 'plain' });
  }

  /**
   * A durable message: it waits for `commit`, the store's promise for the batch that holds it.
   * @param {HeldMessage} held
   * @param {Promise<void>} commit
   */
  wait(held, commit) {
    this.#entries.push({ held, commit, state: 'waiting' });
    // Every append of one event-loop turn shares one batch, and so one promise; batches commit in
    // order. One handler per batch, not per message.
    if (commit !== this.#lastCommit) {
      this.#lastCommit = commit;
      commit.then(() => this.#settled(commit, 'stored'), () => this.#settled(commit, 'refused'));
    }
  }

  /** The queue closed: forget everything, and ignore the commits still to come. */
  clear() {
    this.#closed = true;
    this.#entries.clear();
  }

  /**
   * @param {Promise<void>} commit
   * @param {'stored' | 'refused'} outcome
   */
  #settled(commit, outcome) {
    if (this.#closed) return;
    if (this.#lastCommit === commit) this.#lastCommit = undefined;
    // Earlier batches settled first, so the first entry still waiting for another batch ends this one.
    for (const entry of this.#entries) {
      if (entry.state !== 'waiting') continue;
      if (entry.commit !== commit) break;
      entry.state = outcome;
    }
    // The head of the line leaves, up to the first message still waiting.
    while (this.#entries.length > 0 && this.#entries.peek()?.state !== 'waiting') {
      const entry = /** @type {Entry} */ (this.#entries.shift());
      this.#leave(entry.held, /** @type {Outcome} */ (entry.state));
    }
    this.#moved();
  }
}
// #endregion commit-line
