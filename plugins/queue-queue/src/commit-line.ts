/**
 * A queue's messages accepted but not yet in it: durable ones wait for their store commit, and
 * every message published after one of them waits behind it, so a later message never overtakes
 * an earlier one. Every append of one batch shares the batch's promise and batches commit in
 * order: one handler per batch (not per message) moves this queue's messages of that batch along.
 */
import { Deque } from '@wharf/core';
import type { HeldMessage } from './subscription.js';

const WAITING = 0;
const READY = 1;
const FAILED = 2;

/** A message accepted but not yet in the queue: its store write is in flight, or one ahead of it is. */
interface Pending {
  readonly held: HeldMessage;
  state: typeof WAITING | typeof READY | typeof FAILED;
  /** The store's promise for the batch holding it (WAITING entries). */
  readonly commit: Promise<void> | undefined;
}

/** What the line tells its queue. */
export interface CommitLineHost {
  /** A message of a batch that committed is accepted (counted once, when its batch commits). */
  accepted(): void;
  /** The head of the line leaves, in order: into the queue (`stored`), or dropped (its store write failed). */
  leave(held: HeldMessage, stored: boolean): void;
  /** A batch settled and no message went into the queue. */
  nothingMoved(): void;
}

export class CommitLine {
  private readonly entries = new Deque<Pending>();
  /** The store promise of the last durable append, which already has this line's handler. */
  private lastCommit: Promise<void> | undefined;

  constructor(private readonly host: CommitLineHost) {}

  get length(): number {
    return this.entries.length;
  }

  /** A message that needs no store write, behind one that does. */
  behind(held: HeldMessage): void {
    this.entries.push({ held, state: READY, commit: undefined });
  }

  /** A durable message whose store write is `commit`. */
  stored(held: HeldMessage, commit: Promise<void>): void {
    this.entries.push({ held, state: WAITING, commit });
    if (commit !== this.lastCommit) {
      this.lastCommit = commit;
      commit.then(() => this.settled(commit, READY), () => this.settled(commit, FAILED));
    }
  }

  clear(): void {
    this.entries.clear();
  }

  /** A batch of the store committed (READY) or failed (FAILED): its messages go on, or are dropped. */
  private settled(commit: Promise<void>, state: typeof READY | typeof FAILED): void {
    if (this.lastCommit === commit) this.lastCommit = undefined;
    const entries = this.entries;
    // Earlier batches settled first (in commit order): their entries are no longer WAITING.
    for (let i = 0; i < entries.length; i++) {
      const entry = entries.at(i)!;
      if (entry.state !== WAITING) continue;
      if (entry.commit !== commit) break;
      entry.state = state;
      if (state === READY) this.host.accepted();
    }
    let moved = false;
    while (entries.length > 0) {
      const head = entries.peek()!;
      if (head.state === WAITING) break;
      entries.shift();
      this.host.leave(head.held, head.state === READY);
      if (head.state === READY) moved = true;
    }
    if (!moved) this.host.nothingMoved();
  }
}
