/**
 * Password checks wait their turn here, fairly, instead of in libuv's thread pool.
 *
 * scrypt is deliberately expensive and runs on libuv's small thread pool, which serves requests
 * first come, first served. A guesser who opens 50 connections at once would queue 50 checks
 * there, and a good client arriving a moment later would wait behind all of them — the throttle
 * delays answers, but cannot stop the checks being queued. So checks go through this scheduler:
 * at most `concurrency` run at once (no more than the pool's threads, so the pool never queues),
 * and waiting checks are served round-robin by key — the remote address and the user name asked
 * for (all unknown names of one address share one key). A good client therefore waits for at most
 * one check of each other key, however many guesses are queued. The one case it does not help:
 * the same account, from the same address as the guesser, shares the guesser's queue.
 */
import { availableParallelism } from 'node:os';

/** libuv's thread pool size (UV_THREADPOOL_SIZE, 4 by default), which scrypt shares with fs and dns. */
function poolSize(): number {
  const configured = Number(process.env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? configured : 4;
}

export const DEFAULT_CONCURRENCY = Math.max(1, Math.min(availableParallelism(), poolSize()));

interface Waiting {
  readonly start: () => void;
  readonly cancel: () => void;
}

export class FairScheduler {
  private running = 0;
  /** Waiting tasks per key; the Map's order is the round-robin order. */
  private readonly waiting = new Map<string, Array<Waiting>>();

  constructor(private concurrency: number = DEFAULT_CONCURRENCY) {}

  /** Runs `task` when a slot is free and it is `key`'s turn. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = (): void => {
        this.running++;
        task().then(resolve, reject).finally(() => {
          this.running--;
          this.next();
        });
      };
      if (this.running < this.concurrency && this.waiting.size === 0) {
        start();
        return;
      }
      const waiting: Waiting = { start, cancel: () => reject(new Error('the authenticator is stopping')) };
      const queue = this.waiting.get(key);
      if (queue) queue.push(waiting);
      else this.waiting.set(key, [waiting]);
    });
  }

  /** Drops every waiting task (the broker stops): they reject, nothing more is started. */
  close(): void {
    const dropped = [...this.waiting.values()].flat();
    this.waiting.clear();
    this.concurrency = 0;
    for (const waiting of dropped) waiting.cancel();
  }

  /** Tasks waiting for a slot. */
  get queued(): number {
    let n = 0;
    for (const queue of this.waiting.values()) n += queue.length;
    return n;
  }

  private next(): void {
    while (this.running < this.concurrency && this.waiting.size > 0) {
      const [key, queue] = this.waiting.entries().next().value!;
      const waiting = queue.shift()!;
      // Served keys go to the back of the line.
      this.waiting.delete(key);
      if (queue.length > 0) this.waiting.set(key, queue);
      waiting.start();
    }
  }
}
