/**
 * The broker-wide budget for bytes held in unfinished input frames (config `limits.inputBufferBytes`), one per
 * broker and shared by every listener and protocol adapter through `BrokerApi.inputBudget`. Per-connection limits
 * (a STOMP body of 4 MiB) do not bound the sum: 600 connections each holding an unfinished 4 MiB frame took 2.49 GB
 * (issue 15). Adapters report per chunk, so the cost is a few additions per chunk that leaves a frame unfinished.
 *
 * Past the limit a connection stops reading and waits; the adapter may fail it instead (STOMP does so for clients
 * not logged in). Waiting never deadlocks: while some connection that is still read holds bytes, it will complete
 * its frame or go away, and free room; when none does, the connection that waited longest is let read on past the
 * limit, alone, until its frame is complete (the budget is passed by at most that one frame). When the total falls
 * under the limit every waiter reads again, in the order they came; each may read one more chunk past the limit
 * before it waits again (one socket read per waiting connection), and none is starved by a luckier one.
 */
import type { InputAccount, InputBudget } from '../spi/protocol.js';

/** The default budget: 256 MiB, or a quarter of the memory alarm's high-watermark when that is smaller. */
export const DEFAULT_INPUT_BUFFER_BYTES = 256 * 1024 * 1024;

export function defaultInputBufferBytes(memoryHighWaterMark: number): number {
  return memoryHighWaterMark > 0 ? Math.min(DEFAULT_INPUT_BUFFER_BYTES, Math.floor(memoryHighWaterMark / 4)) : DEFAULT_INPUT_BUFFER_BYTES;
}

class Account implements InputAccount {
  held = 0;
  waits = false;
  closed = false;

  constructor(private readonly budget: SharedInputBudget, readonly resume: () => void) {}

  hold(bytes: number): boolean {
    return this.closed ? true : this.budget.hold(this, bytes);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.budget.close(this);
  }
}

export class SharedInputBudget implements InputBudget {
  used = 0;
  /** Bytes held by waiting connections (they cannot free any until they are woken). */
  private waitingHeld = 0;
  private waiters: Account[] = [];
  /** The connection let past the limit because nobody else could free room, until its frame is complete. */
  private exempt: Account | undefined = undefined;

  constructor(readonly limit: number) {
    if (!(limit > 0)) throw new RangeError(`the input budget must be a positive number of bytes, got ${String(limit)}`);
  }

  get waiting(): number {
    return this.waiters.length;
  }

  open(resume: () => void): InputAccount {
    return new Account(this, resume);
  }

  /** @internal An account's new holding. */
  hold(account: Account, bytes: number): boolean {
    const delta = bytes - account.held;
    account.held = bytes;
    this.used += delta;
    if (account.waits) {
      // Bytes read before the connection's stop took effect: still waiting, unless its frame is now complete.
      this.waitingHeld += delta;
      if (bytes > 0) return false;
      this.unqueue(account);
      this.freed();
      return true;
    }
    if (delta <= 0) {
      // Held bytes only shrink when a frame completes: an exemption lasts one frame.
      if (delta < 0 && this.exempt === account) this.exempt = undefined;
      if (delta < 0) this.freed();
      return true;
    }
    if (this.used <= this.limit || this.exempt === account) return true;
    const alone = this.exempt === undefined && this.used - this.waitingHeld - bytes <= 0;
    if (alone && this.waiters.length === 0) {
      // Nobody else holds anything: waiting would never end. This one reads on, alone, past the limit.
      this.exempt = account;
      return true;
    }
    account.waits = true;
    this.waiters.push(account);
    this.waitingHeld += bytes;
    // The last reader holding bytes waits now: the one that has waited longest reads on alone instead.
    if (alone) this.exemptFirst();
    return false;
  }

  /** @internal The account is closed: it holds nothing and waits no more. */
  close(account: Account): void {
    if (this.exempt === account) this.exempt = undefined;
    if (account.waits) this.unqueue(account);
    this.used -= account.held;
    account.held = 0;
    this.freed();
  }

  private unqueue(account: Account): void {
    this.waiters.splice(this.waiters.indexOf(account), 1);
    this.wake(account);
  }

  /** Room may have freed, or the last reader holding bytes may have gone: wake whoever can go on. */
  private freed(): void {
    if (this.waiters.length === 0) return;
    if (this.used < this.limit) {
      const woken = this.waiters;
      this.waiters = [];
      for (const account of woken) this.wake(account);
      for (const account of woken) account.resume();
    } else if (this.exempt === undefined && this.used - this.waitingHeld <= 0) {
      this.exemptFirst();
    }
  }

  /** The longest waiter reads on, alone, past the limit, until its frame is complete. */
  private exemptFirst(): void {
    const first = this.waiters.shift()!;
    this.wake(first);
    this.exempt = first;
    first.resume();
  }

  private wake(account: Account): void {
    account.waits = false;
    this.waitingHeld -= account.held;
  }
}
