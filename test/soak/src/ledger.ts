/**
 * The soak's bookkeeping of every message: what was receipted, delivered, acknowledged, and in
 * which consumer session (an "epoch": one consumer connection, so a broker restart or a consumer
 * reconnect starts a new one). From it, the invariants the broker promises (docs/reliability.md):
 *
 *   - lost: a message whose SEND got a RECEIPT and that was never delivered (after a full drain);
 *     in the disk-full attack the same figure is the "false receipts";
 *   - duplicated: a delivery after the message's ACK got a RECEIPT, or a second delivery of it in
 *     the same epoch;
 *   - reordered: within one epoch, a delivery from a producer with a lower sequence number than the
 *     delivery from that producer just before it (STOMP 1.2 §SUBSCRIBE: one subscriber of a queue sees
 *     its messages in send order);
 *   - redelivered-flag misses: a message delivered again in a later epoch, without
 *     `redelivered:true`, though it had been delivered before (docs/durability.md: err towards the flag).
 *
 * Pure and synchronous: the attacks feed it events in the order they happened.
 */

/** One producer's sequence of messages; `durable` ones must survive a broker restart. */
interface ProducerBook {
  readonly durable: boolean;
  readonly receipted: Set<number>;
  /** Receipted non-durable messages a broker restart was allowed to drop. */
  readonly excused: Set<number>;
  /** seq -> every epoch it was delivered in. */
  readonly deliveredIn: Map<number, number[]>;
  /** seq -> the event counter when its ACK's RECEIPT arrived. */
  readonly ackConfirmedAt: Map<number, number>;
  /** epoch -> the last seq delivered from this producer in it. */
  readonly lastSeqIn: Map<number, number>;
}

export interface Verdict {
  /** Messages whose SEND got a RECEIPT. */
  readonly receipted: number;
  /** Deliveries seen, redeliveries included. */
  readonly deliveries: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  /** Deliveries that carried `redelivered:true`. */
  readonly redeliveredFlagged: number;
  readonly redeliveredMisses: number;
  /** Receipted non-durable messages a broker restart dropped (allowed, so not lost). */
  readonly excused: number;
}

export class Ledger {
  private readonly producers = new Map<string, ProducerBook>();
  /** Orders deliveries against ACK receipts. */
  private clock = 0;
  private deliveries = 0;
  private duplicated = 0;
  private reordered = 0;
  private redeliveredFlagged = 0;
  private redeliveredMisses = 0;
  private epochs = 0;

  /** Declares a producer; its messages are identified by (producer, seq). */
  producer(name: string, durable: boolean): void {
    if (this.producers.has(name)) return;
    this.producers.set(name, {
      durable, receipted: new Set(), excused: new Set(), deliveredIn: new Map(), ackConfirmedAt: new Map(), lastSeqIn: new Map(),
    });
  }

  /** A new consumer connection: its deliveries are one epoch. Returns the epoch's number. */
  newEpoch(): number {
    return ++this.epochs;
  }

  receipted(producer: string, seq: number): void {
    this.book(producer).receipted.add(seq);
  }

  delivered(producer: string, seq: number, epoch: number, redelivered: boolean): void {
    const book = this.book(producer);
    const at = ++this.clock;
    this.deliveries++;
    if (redelivered) this.redeliveredFlagged++;
    const epochs = book.deliveredIn.get(seq) ?? [];
    const confirmed = book.ackConfirmedAt.get(seq);
    if ((confirmed !== undefined && confirmed < at) || epochs.includes(epoch)) this.duplicated++;
    else if (epochs.length > 0 && !redelivered) this.redeliveredMisses++;
    epochs.push(epoch);
    book.deliveredIn.set(seq, epochs);
    const last = book.lastSeqIn.get(epoch);
    if (last !== undefined && seq < last) this.reordered++;
    book.lastSeqIn.set(epoch, seq);
  }

  /** The RECEIPT of the message's ACK arrived: the broker must never deliver it again. */
  ackConfirmed(producer: string, seq: number): void {
    const book = this.book(producer);
    if (!book.ackConfirmedAt.has(seq)) book.ackConfirmedAt.set(seq, ++this.clock);
  }

  /**
   * The broker stopped (cleanly or not): non-durable messages receipted and not delivered yet may be
   * gone, as documented, so they no longer count as lost.
   */
  brokerStopped(): void {
    for (const book of this.producers.values()) {
      if (book.durable) continue;
      for (const seq of book.receipted) if (!book.deliveredIn.has(seq)) book.excused.add(seq);
    }
  }

  verdict(): Verdict {
    let receipted = 0;
    let lost = 0;
    let excused = 0;
    for (const book of this.producers.values()) {
      receipted += book.receipted.size;
      excused += book.excused.size;
      for (const seq of book.receipted) if (!book.deliveredIn.has(seq) && !book.excused.has(seq)) lost++;
    }
    return {
      receipted, deliveries: this.deliveries, lost, duplicated: this.duplicated, reordered: this.reordered,
      redeliveredFlagged: this.redeliveredFlagged, redeliveredMisses: this.redeliveredMisses, excused,
    };
  }

  private book(producer: string): ProducerBook {
    const book = this.producers.get(producer);
    if (book === undefined) throw new Error(`the ledger has no producer ${JSON.stringify(producer)}: declare it with producer() first`);
    return book;
  }
}

/** The body every soak message carries: `<producer>:<seq>:` then padding. */
export function messageBody(producer: string, seq: number, size: number): string {
  const head = `${producer}:${seq}:`;
  return head.length >= size ? head : head + 'x'.repeat(size - head.length);
}

/** The (producer, seq) a soak body names, or undefined for a body the soak did not write. */
export function parseBody(body: string): { producer: string; seq: number } | undefined {
  const m = /^([^:]+):(\d+):/.exec(body);
  return m ? { producer: m[1]!, seq: Number(m[2]) } : undefined;
}
