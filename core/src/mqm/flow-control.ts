/**
 * Producer flow control: when the broker holds more than it should, it stops reading from the
 * clients that publish (their sends wait in their own socket buffers and, once those are full, in
 * the clients) until consumers have caught up. Nothing accepted is ever dropped or refused.
 *
 * Two triggers, one mechanism:
 * - **The broker-wide memory alarm**: the process's resident memory (RSS) is sampled on a timer
 *   (never per message). Past `limits.memoryHighWaterMark` the alarm is raised: the destinations
 *   that hold most of the memory are found (producer-pausing.ts, `holders`) and a session that
 *   sends to one of them is paused; every other session goes on (a session that only consumes
 *   keeps reading its ACKs, which is how memory comes back). Below `limits.memoryLowWaterMark` it
 *   is cleared and the paused sessions resume.
 * - **A destination over its own high-watermark**: a queue type tells core through its
 *   QueueContext (`flow.blocked(true)`, e.g. queue-queue's `highWaterMarkBytes`); a session that
 *   sends to it (directly or through a pubsub) is paused until the destination says
 *   `blocked(false)`.
 *
 * Resident memory does not go down when the backlog drains: the JS heap keeps the pages it grew
 * and malloc its blocks, for the next messages to reuse (measured: RSS stays at its peak for as
 * long as one watches). An alarm cleared only when RSS fell below the low-watermark would never
 * clear. So destinations also report the bytes they hold (`flow.held(delta)`, per message: one
 * addition), and memory their backlog gave back is counted as free until new backlog takes it
 * again or the process returns it to the system. The alarm compares that estimate — RSS minus
 * the memory freed and not yet reused — with the watermarks.
 */
import { totalmem } from 'node:os';
import { getHeapStatistics } from 'node:v8';
import type { Logger } from 'pino';

export interface FlowControlOptions {
  /** RSS in bytes at which the alarm is raised; 0 turns the alarm off. */
  readonly highWaterMark: number;
  /** RSS estimate in bytes below which it clears. */
  readonly lowWaterMark: number;
  /** How often memory is sampled (default 100 ms). */
  readonly intervalMs?: number;
  /** Reads the process's resident memory (default process.memoryUsage.rss; tests give their own). */
  readonly memory?: () => number;
  readonly logger?: Logger;
}

/** What flow control tells the MQM. */
export interface FlowListener {
  alarmChanged(raised: boolean): void;
  /** A sample found the alarm still raised (every intervalMs): who holds the memory may have changed. */
  alarmStillRaised?(): void;
}

/**
 * The default `limits.memoryHighWaterMark`: 40% of the machine's memory (RabbitMQ's default), and
 * at most half of V8's heap limit — a backlog of small messages lives mostly in the JS heap, and a
 * process that reaches its heap limit dies.
 */
export function defaultMemoryHighWaterMark(): number {
  return Math.floor(Math.min(0.4 * totalmem(), 0.5 * getHeapStatistics().heap_size_limit));
}

function mb(bytes: number): number {
  return Math.round(bytes / 1048576);
}

/** The default low-watermark, as a share of the high-watermark. */
export const DEFAULT_LOW_WATER_RATIO = 0.8;

export class FlowController {
  /** The broker-wide memory alarm is raised. */
  alarm = false;
  /** Held bytes reported through heldChanged (by no destination: tests, embedders). */
  private unattributed = 0;
  /** The bytes destinations hold, summed where they are counted (the MQM's table: one counter per destination). */
  private heldSource: () => number = () => 0;
  private reusable = 0;
  private lastRss = 0;
  private lastHeld = 0;
  private lastEstimate = 0;
  private timer: NodeJS.Timeout | undefined;
  private listener: FlowListener | undefined;
  private readonly memory: () => number;
  private readonly intervalMs: number;

  constructor(private readonly options: FlowControlOptions) {
    this.memory = options.memory ?? (() => process.memoryUsage.rss());
    this.intervalMs = options.intervalMs ?? 100;
  }

  get highWaterMark(): number {
    return this.options.highWaterMark;
  }

  get lowWaterMark(): number {
    return this.options.lowWaterMark;
  }

  /** The last memory estimate: RSS minus memory freed by destinations and not reused yet. */
  get estimate(): number {
    return this.lastEstimate;
  }

  listen(listener: FlowListener): void {
    this.listener = listener;
  }

  /** Where the bytes held by destinations are counted (read once per sample, never per message). */
  countHeld(source: () => number): void {
    this.heldSource = source;
  }

  /** Bytes of messages destinations hold for consumers (the sum of their `held` reports). */
  get held(): number {
    return this.unattributed + this.heldSource();
  }

  /** Starts sampling (an unref'd timer: it never keeps the process alive). */
  start(): void {
    if (this.timer !== undefined || this.options.highWaterMark <= 0) return;
    this.lastRss = this.memory();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Held bytes that belong to no destination (tests, embedders): counted, but nobody is paused for them. */
  readonly heldChanged = (delta: number): void => {
    this.unattributed += delta;
  };

  /** Samples memory and raises or clears the alarm. The timer calls it; tests may too. */
  sample(): void {
    if (this.options.highWaterMark <= 0) return;
    const rss = this.memory();
    const held = this.held;
    // Backlog that drained left its memory with the process, to be reused by the next messages:
    // count it as free until new backlog or the process itself (RSS going down) takes it back.
    const grown = held - this.lastHeld;
    let reusable = grown < 0 ? this.reusable - grown : Math.max(0, this.reusable - grown);
    if (rss < this.lastRss) reusable = Math.max(0, reusable - (this.lastRss - rss));
    this.reusable = Math.min(reusable, rss);
    this.lastRss = rss;
    this.lastHeld = held;
    let estimate = rss - this.reusable;
    const { highWaterMark, lowWaterMark } = this.options;
    // Pausing publishers helps only if draining what destinations hold can bring memory below the
    // low-watermark. When it cannot (memory is taken by something else: connections, a heap that
    // grew for another reason), the alarm would never clear: memory is taken as it is instead, and
    // the alarm re-arms once it grew by the gap between the watermarks again.
    const helpless = held < estimate - lowWaterMark;
    if (!this.alarm) {
      if (estimate >= highWaterMark) {
        if (!helpless) this.setAlarm(true, estimate);
        else {
          this.options.logger?.warn({ memoryMB: mb(estimate), heldMB: mb(held), highWaterMarkMB: mb(highWaterMark) },
            'memory is over limits.memoryHighWaterMark, but destinations hold too little of it for pausing publishers to help: not raising the alarm');
          this.reusable = rss - lowWaterMark;
          estimate = lowWaterMark;
        }
      }
    } else if (estimate <= lowWaterMark || helpless) {
      if (estimate > lowWaterMark) {
        this.reusable = rss - lowWaterMark;
        estimate = lowWaterMark;
      }
      this.setAlarm(false, estimate);
    } else {
      this.listener?.alarmStillRaised?.();
    }
    this.lastEstimate = estimate;
  }

  private setAlarm(raised: boolean, estimate: number): void {
    this.alarm = raised;
    if (raised) {
      this.options.logger?.warn({ memoryMB: mb(estimate), highWaterMarkMB: mb(this.options.highWaterMark), heldMB: mb(this.held) },
        'memory alarm: the broker stops reading from clients that publish to the destinations holding the memory, until their consumers catch up (limits.memoryHighWaterMark)');
    } else {
      this.options.logger?.info({ memoryMB: mb(estimate), lowWaterMarkMB: mb(this.options.lowWaterMark), heldMB: mb(this.held) },
        'memory alarm cleared: publishers resume');
    }
    this.listener?.alarmChanged(raised);
  }
}
