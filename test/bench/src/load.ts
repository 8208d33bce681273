/**
 * Producers and consumers of the load generator.
 *
 * A producer sends when it has credits. Closed loop: credits come back as consumers receive, so a
 * fixed number of messages is in flight. Open loop: a ticker hands out credits at a fixed rate.
 * Either way a producer writes whole batches and stops writing while `write()` answers false,
 * until 'drain' (socket backpressure is respected, never buffered around).
 */
import { GroupAccounting } from './accounting.js';
import { StompClient } from './client.js';
import { headerOf, payloadProducer, payloadSeq, SendTemplate, type FrameView } from './stomp.js';

/** Most frames written in one `write()`. */
const MAX_BATCH = 128;
/**
 * Most batches one pump writes before it lets the event loop run (timers, reads). A socket whose
 * peer reads as fast as it is written never answers false, and a producer with endless credits
 * (the ceiling scenario) would then never give the loop back: its own timers — the end of the
 * measurement — would wait until the kernel's buffer happened to fill (tens of seconds, seen).
 */
const MAX_BATCHES_PER_TURN = 32;

export class Producer {
  /** Messages written so far; the next sequence number. */
  sent = 0;
  /** Sends of the durable scenario that asked for a RECEIPT. */
  receiptsRequested = 0;
  credits = 0;
  stopped = false;
  /** Times `write()` answered false. */
  blockedCount = 0;
  private blocked = false;
  private scheduled = false;
  private readonly receiptTemplate: SendTemplate | undefined;

  constructor(
    readonly client: StompClient,
    readonly id: number,
    private readonly template: SendTemplate,
    /** Every n-th send asks for a receipt (0: none). */
    private readonly receiptEvery = 0,
    receiptTemplate?: SendTemplate,
  ) {
    this.receiptTemplate = receiptTemplate;
    if (receiptEvery > 0 && receiptTemplate === undefined) throw new Error('receiptEvery needs a receiptTemplate');
  }

  /** Adds credits and sends soon (coalesced: one pump per turn of the event loop). */
  credit(n = 1): void {
    this.credits += n;
    if (!this.scheduled && !this.blocked && !this.stopped) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; this.pump(); });
    }
  }

  stop(): void {
    this.stopped = true;
  }

  pump(): void {
    const now = performance.now();
    for (let batches = 0; !this.stopped && !this.blocked && this.credits >= 1; batches++) {
      if (batches === MAX_BATCHES_PER_TURN) {
        // The rest after the loop has run once (credit() coalesces with a pump already scheduled).
        this.credit(0);
        return;
      }
      const count = Math.min(Math.floor(this.credits), MAX_BATCH);
      const buf = this.receiptEvery > 0 ? this.receiptBatch(count, now) : this.template.batch(count, this.sent, now);
      this.sent += count;
      this.credits -= count;
      if (!this.client.write(buf)) {
        this.blocked = true;
        this.blockedCount++;
        this.client.socket.once('drain', () => {
          this.blocked = false;
          this.pump();
        });
      }
    }
  }

  private receiptBatch(count: number, ts: number): Buffer {
    const every = this.receiptEvery;
    const withReceipt = this.receiptTemplate!;
    let length = 0;
    for (let i = 0; i < count; i++) length += (this.sent + i + 1) % every === 0 ? withReceipt.length : this.template.length;
    const out = Buffer.allocUnsafe(length);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      const seq = this.sent + i;
      if ((seq + 1) % every === 0) {
        offset = withReceipt.fill(out, offset, seq, ts);
        this.receiptsRequested++;
      } else {
        offset = this.template.fill(out, offset, seq, ts);
      }
    }
    return out;
  }
}

export interface ConsumerOptions {
  readonly accounting: GroupAccounting;
  /** This consumer's index inside its group. */
  readonly index: number;
  /** Acknowledge every MESSAGE (client-individual subscriptions). */
  readonly ack?: boolean;
  /** Called after accounting, per delivery: credit producers, sample latency, ... */
  readonly onDelivery?: (producer: number, frame: FrameView) => void;
}

/** The MESSAGE handler of one consumer: accounting, acks (batched per turn), the caller's hook. */
export function consumerHandler(client: () => StompClient, options: ConsumerOptions): (frame: FrameView) => void {
  const { accounting, index, onDelivery } = options;
  let acks = '';
  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    const c = client();
    if (acks.length > 0 && !c.closed) c.write(acks);
    acks = '';
  };
  return (frame) => {
    const producer = payloadProducer(frame);
    accounting.record(index, producer, payloadSeq(frame));
    if (options.ack) {
      // STOMP 1.2 §ACK: `id` is the MESSAGE's `ack` header (1.0/1.1-style servers: its message-id).
      const id = headerOf(frame, 'ack') ?? headerOf(frame, 'message-id');
      acks += `ACK\nid:${id}\n\n\0`;
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    }
    onDelivery?.(producer, frame);
  };
}

/** Resolves when `done()` holds, polling; false if `timeoutMs` passes first or `abort()` holds. */
export async function waitFor(done: () => boolean, timeoutMs: number, abort: () => boolean = () => false): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (abort() || performance.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}

/** An open-loop ticker: hands `producer` credits so that it sends `rate` messages per second. */
export function openLoop(producer: Producer, rate: number): { stop(): void } {
  const start = performance.now();
  let issued = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - start) * rate) / 1000);
    if (due > issued) {
      producer.credit(due - issued);
      issued = due;
    }
  }, 1);
  return { stop: () => clearInterval(timer) };
}
