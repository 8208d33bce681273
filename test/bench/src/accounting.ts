/**
 * Exactly-once accounting for one consumer group: the consumers that share a subscription's
 * messages (competing consumers of a queue; a topic subscriber is a group of one).
 *
 * Every message of every producer must reach the group exactly once — no duplicate, none missing,
 * nothing the producers never sent — and each consumer must see each producer's messages in the
 * order they were sent (increasing sequence numbers; competing consumers each see a subsequence).
 *
 * Per delivery: one byte read and written in a per-producer bitmap and one compare; no allocation
 * except when a bitmap doubles.
 */

export interface Verdict {
  readonly group: string;
  readonly ok: boolean;
  /** Deliveries recorded. */
  readonly received: number;
  /** Messages the producers sent to this group. */
  readonly expected: number;
  readonly duplicates: number;
  readonly missing: number;
  /** Deliveries that came after a later message of the same producer on the same consumer. */
  readonly reordered: number;
  /** Deliveries of a sequence number or producer the producers never sent. */
  readonly unexpected: number;
  /** The first few problems, readable. */
  readonly examples: readonly string[];
}

const MAX_EXAMPLES = 5;

export class GroupAccounting {
  private seen: Uint8Array[] = [];
  /** lastSeq[consumer * producers + producer]: the highest sequence number that consumer saw, -1 for none. */
  private readonly lastSeq: Float64Array;
  private received = 0;
  private duplicates = 0;
  private reordered = 0;
  private unexpectedProducer = 0;
  private readonly examples: string[] = [];

  constructor(readonly name: string, readonly producers: number, readonly consumers: number) {
    for (let p = 0; p < producers; p++) this.seen.push(new Uint8Array(1024));
    this.lastSeq = new Float64Array(producers * consumers).fill(-1);
  }

  /** Deliveries recorded so far. */
  get count(): number {
    return this.received;
  }

  record(consumer: number, producer: number, seq: number): void {
    this.received++;
    if (producer >= this.producers || consumer >= this.consumers) {
      this.unexpectedProducer++;
      this.note(`consumer ${consumer} got a message from unknown producer ${producer} (seq ${seq})`);
      return;
    }
    let seen = this.seen[producer]!;
    if (seq >= seen.length) {
      let size = seen.length * 2;
      while (size <= seq) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(seen);
      this.seen[producer] = seen = grown;
    }
    if (seen[seq] !== 0) {
      this.duplicates++;
      if (seen[seq]! < 255) seen[seq]!++;
      this.note(`duplicate: producer ${producer} seq ${seq} delivered again (to consumer ${consumer})`);
      return;
    }
    seen[seq] = 1;
    const slot = consumer * this.producers + producer;
    const last = this.lastSeq[slot]!;
    if (seq < last) {
      this.reordered++;
      this.note(`reordered: consumer ${consumer} got producer ${producer} seq ${seq} after seq ${last}`);
    } else {
      this.lastSeq[slot] = seq;
    }
  }

  /** Checks the deliveries against what each producer sent (`sent[p]` messages, seq 0..sent[p]-1). */
  verify(sent: ArrayLike<number>): Verdict {
    let missing = 0;
    let unexpected = this.unexpectedProducer;
    let expected = 0;
    const examples = [...this.examples];
    for (let p = 0; p < this.producers; p++) {
      const n = sent[p] ?? 0;
      expected += n;
      const seen = this.seen[p]!;
      let firstGap = -1;
      let gaps = 0;
      for (let s = 0; s < n; s++) {
        if (s >= seen.length || seen[s] === 0) {
          gaps++;
          if (firstGap < 0) firstGap = s;
        }
      }
      missing += gaps;
      if (gaps > 0 && examples.length < MAX_EXAMPLES) {
        examples.push(`missing: ${gaps} of producer ${p}'s ${n} messages never arrived (first: seq ${firstGap})`);
      }
      for (let s = n; s < seen.length; s++) {
        if (seen[s] !== 0) {
          unexpected++;
          if (examples.length < MAX_EXAMPLES) examples.push(`unexpected: producer ${p} seq ${s} arrived but only ${n} were sent`);
        }
      }
    }
    const ok = missing === 0 && this.duplicates === 0 && this.reordered === 0 && unexpected === 0;
    return {
      group: this.name, ok, received: this.received, expected,
      duplicates: this.duplicates, missing, reordered: this.reordered, unexpected, examples,
    };
  }

  private note(problem: string): void {
    if (this.examples.length < MAX_EXAMPLES) this.examples.push(problem);
  }
}

/** One line for a verdict: "ok" or every count that went wrong, with examples. */
export function describeVerdict(v: Verdict): string {
  if (v.ok) return `${v.group}: exactly once (${v.received} of ${v.expected})`;
  const counts = [`received ${v.received} of ${v.expected}`];
  if (v.duplicates) counts.push(`${v.duplicates} duplicated`);
  if (v.missing) counts.push(`${v.missing} missing`);
  if (v.reordered) counts.push(`${v.reordered} out of order`);
  if (v.unexpected) counts.push(`${v.unexpected} never sent`);
  return `${v.group}: NOT exactly once — ${counts.join(', ')}${v.examples.length ? `; e.g. ${v.examples.join('; ')}` : ''}`;
}
