/**
 * The good pair: a producer and a consumer on a queue of their own, from 127.0.0.2, while the
 * attackers come from 127.0.0.3. The producer sends a message every `intervalMs` with a receipt
 * and opens a new connection every `reconnectEvery` sends (a lockout shows as failed connects);
 * the latency is SEND → RECEIPT. An operation fails when the connect, the SEND or the SUBSCRIBE
 * does not succeed within the timeout, or when a receipted message does not reach the consumer
 * within it.
 */
import { parseBody, messageBody } from './ledger.js';
import type { LatencyFigures } from './result.js';
import { Session } from './stomp.js';

const GOOD_ADDRESS = '127.0.0.2';
const QUEUE = '/queue/soak.good';
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The q-quantile of sorted values (nearest rank); 0 for none. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export class GoodPair {
  private latencies: number[] = [];
  private failed = 0;
  private failures: string[] = [];
  private stopped = false;
  private loops: Promise<void>[] = [];
  private seq = 0;
  /** seq -> when its RECEIPT came, until the consumer gets it. */
  private readonly awaitingDelivery = new Map<number, number>();
  /** Delivered before their RECEIPT reached the producer (the broker may do either first). */
  private readonly deliveredEarly = new Set<number>();
  /** The producer finishes the send in flight, then stops. */
  private finishing = false;
  private consumer: Session | undefined;
  private producer: Session | undefined;

  constructor(
    private readonly port: number,
    private readonly intervalMs = 20,
    private readonly reconnectEvery = 50,
    private readonly timeoutMs = 5000,
  ) {}

  start(): void {
    this.loops = [this.consume(), this.produce()];
  }

  /** The figures since the last call (or the start), and a fresh window. */
  window(): LatencyFigures {
    const now = Date.now();
    for (const [seq, at] of this.awaitingDelivery) {
      if (now - at > this.timeoutMs) {
        this.awaitingDelivery.delete(seq);
        this.fail(`message ${seq} receipted but not delivered within ${this.timeoutMs} ms`);
      }
    }
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const figures: LatencyFigures = {
      operations: sorted.length + this.failed, failed: this.failed,
      p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? 0,
      failures: [...new Set(this.failures)].slice(0, 3),
    };
    this.latencies = [];
    this.failed = 0;
    this.failures = [];
    return figures;
  }

  /** Lets the send in flight finish (and count), waits for its delivery, then closes both. */
  async stop(): Promise<LatencyFigures> {
    if (this.stopped) return this.window();
    this.finishing = true;
    await this.loops[1];
    const until = Date.now() + this.timeoutMs;
    while (this.awaitingDelivery.size > 0 && Date.now() < until) await delay(50);
    this.stopped = true;
    await this.consumer?.close();
    await Promise.all(this.loops);
    return this.window();
  }

  private fail(why: string): void {
    this.failed++;
    this.failures.push(why);
  }

  private async open(what: string): Promise<Session | undefined> {
    try {
      return await Session.open({ port: this.port, localAddress: GOOD_ADDRESS, connectTimeoutMs: this.timeoutMs });
    } catch (err) {
      if (!this.stopped) this.fail(`${what} connect: ${(err as Error).message}`);
      await delay(this.intervalMs);
      return undefined;
    }
  }

  private async consume(): Promise<void> {
    while (!this.stopped) {
      const session = await this.open('consumer');
      if (session === undefined) continue;
      this.consumer = session;
      const subscribed = await session.subscribe(QUEUE, { ack: 'auto' }, (message) => {
        const id = parseBody(message.body);
        if (id !== undefined && !this.awaitingDelivery.delete(id.seq)) this.deliveredEarly.add(id.seq);
      }, this.timeoutMs);
      if (subscribed !== 'receipt') {
        if (!this.stopped) this.fail(`consumer SUBSCRIBE: ${subscribed}${session.errors[0] ? ` (${session.errors[0]})` : ''}`);
        session.destroy();
      }
      await session.whenClosed();
      if (!this.stopped && subscribed === 'receipt') this.fail(`consumer connection closed${session.errors[0] ? `: ${session.errors[0]}` : ''}`);
    }
  }

  private async produce(): Promise<void> {
    while (!this.finishing) {
      const session = await this.open('producer');
      if (session === undefined) continue;
      this.producer = session;
      for (let i = 0; i < this.reconnectEvery && !this.finishing && !session.closed; i++) {
        const seq = this.seq++;
        const started = performance.now();
        const outcome = await session.send(QUEUE, messageBody('good', seq, 128), {}, this.timeoutMs);
        if (outcome === 'receipt') {
          this.latencies.push(performance.now() - started);
          if (!this.deliveredEarly.delete(seq)) this.awaitingDelivery.set(seq, Date.now());
        } else {
          this.fail(`SEND: ${outcome}${session.errors[0] ? ` (${session.errors[0]})` : ''}`);
          session.destroy();
        }
        await delay(this.intervalMs);
      }
      await session.close();
    }
  }
}
