/**
 * Messages accepted but not yet in the queue, in the order they were published: a durable one
 * waits for the store's group commit, and every message published after it waits too, so a later
 * message never overtakes an earlier one (docs/durability.md: order holds across durable and plain).
 */
import { Deque } from '@wharf/core';
import type { HeldMessage } from './lanes.js';

/** What became of a message when it leaves the line: stored, refused by the store, or plain. */
export type Outcome = 'stored' | 'refused' | 'plain';

interface Entry {
  readonly held: HeldMessage;
  /** The promise of the store batch that holds it; undefined for a plain message. */
  readonly commit: Promise<void> | undefined;
  state: Outcome | 'waiting';
}

// #region commit-line
export class CommitLine {
  private readonly entries = new Deque<Entry>();
  /** The promise of the last durable append, which already has a handler. */
  private lastCommit: Promise<void> | undefined;
  private closed = false;

  /**
   * @param leave called for each message that leaves the head of the line, oldest first
   * @param moved called after a batch settled and what could leave has left
   */
  constructor(
    private readonly leave: (held: HeldMessage, outcome: Outcome) => void,
    private readonly moved: () => void,
  ) {}

  get length(): number {
    return this.entries.length;
  }

  /** A plain message published while the line is not empty: it waits its turn behind the others. */
  follow(held: HeldMessage): void {
    this.entries.push({ held, commit: undefined, state: 'plain' });
  }

  /** A durable message: it waits for `commit`, the store's promise for the batch that holds it. */
  wait(held: HeldMessage, commit: Promise<void>): void {
    this.entries.push({ held, commit, state: 'waiting' });
    // Every append of one event-loop turn shares one batch, and so one promise; batches commit in
    // order. One handler per batch, not per message.
    if (commit !== this.lastCommit) {
      this.lastCommit = commit;
      commit.then(() => this.settled(commit, 'stored'), () => this.settled(commit, 'refused'));
    }
  }

  /** The queue closed: forget everything, and ignore the commits still to come. */
  clear(): void {
    this.closed = true;
    this.entries.clear();
  }

  private settled(commit: Promise<void>, outcome: 'stored' | 'refused'): void {
    if (this.closed) return;
    if (this.lastCommit === commit) this.lastCommit = undefined;
    // Earlier batches settled first, so the first entry still waiting for another batch ends this one.
    for (const entry of this.entries) {
      if (entry.state !== 'waiting') continue;
      if (entry.commit !== commit) break;
      entry.state = outcome;
    }
    // The head of the line leaves, up to the first message still waiting.
    while (this.entries.length > 0 && this.entries.peek()!.state !== 'waiting') {
      const entry = this.entries.shift()!;
      this.leave(entry.held, entry.state as Outcome);
    }
    this.moved();
  }
}
// #endregion commit-line
