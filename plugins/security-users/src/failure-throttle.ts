/**
 * Slows down password guessing from one address: every failed login from an address makes the
 * answer to that failure wait longer — base · 2^(n−1) for the n-th recent failure, capped at
 * `maxDelayMs` (50 ms, 100 ms, 200 ms, … 5 s with the defaults).
 *
 * What is delayed, and what is not:
 * - Only the answer to a *failed* attempt waits, and it waits on a timer: nothing else — no other
 *   client, no other connection from the same address, not the event loop — waits with it. A good
 *   login from a throttled address is answered at once: the throttle is keyed to the failures, not
 *   to the address's other connections (several clients often share one address behind NAT).
 * - Success does not wipe an address's count: an attacker holding one valid account could
 *   otherwise reset its own counter between guesses. The count decays with time instead: after
 *   `forgetAfterMs` without a failure the address starts afresh.
 * - Parallel guesses from one address each wait their own growing delay (the count includes those
 *   still waiting), so concurrency buys an attacker at most one answer per cap per connection;
 *   how many connections one may hold is bounded by the listener's maxConnections.
 *
 * The table of addresses is bounded (`maxAddresses`): the least recently failing address is
 * forgotten first, so a flood from many addresses cannot grow memory.
 */
export interface ThrottleOptions {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly forgetAfterMs: number;
  readonly maxAddresses: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = Object.freeze({
  baseDelayMs: 50, maxDelayMs: 5000, forgetAfterMs: 60_000, maxAddresses: 10_000,
});

interface Record_ {
  failures: number;
  lastFailure: number;
}

export class FailureThrottle {
  private readonly byAddress = new Map<string, Record_>();

  constructor(private readonly options: ThrottleOptions = DEFAULT_THROTTLE, private readonly now: () => number = Date.now) {}

  /** Records a failure from `address` and returns how long its answer should wait, in ms. */
  failure(address: string): number {
    const now = this.now();
    const known = this.live(address, now);
    const record = known ?? { failures: 0, lastFailure: now };
    record.failures++;
    record.lastFailure = now;
    // Re-insert so the Map's order is least-recently-failing first (eviction order).
    this.byAddress.delete(address);
    this.byAddress.set(address, record);
    if (this.byAddress.size > this.options.maxAddresses) this.byAddress.delete(this.byAddress.keys().next().value!);
    return this.delayFor(record.failures);
  }

  /** Recent failures counted for `address` (0 once forgotten). */
  failures(address: string): number {
    return this.live(address, this.now())?.failures ?? 0;
  }

  delayFor(failures: number): number {
    if (failures <= 0) return 0;
    // 2^(n-1) overflows to Infinity for large n; Math.min keeps the cap.
    return Math.min(this.options.baseDelayMs * 2 ** Math.min(failures - 1, 60), this.options.maxDelayMs);
  }

  private live(address: string, now: number): Record_ | undefined {
    const record = this.byAddress.get(address);
    if (record && now - record.lastFailure > this.options.forgetAfterMs) {
      this.byAddress.delete(address);
      return undefined;
    }
    return record;
  }
}

/** Resolves after `ms` without holding the process open (a broker stopping need not wait for it). */
export function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms).unref());
}
