/**
 * One connection's subscriptions, as every protocol adapter keeps them: by the id the client gave,
 * and by a per-connection number that prefixes the ack tokens it hands out (`<number>-<tag>`), so an
 * acknowledgement finds its subscription and delivery tag without a lookup table per message.
 */
import type { Consumer, Subscription } from '../spi/queue.js';

export interface TableConsumer extends Consumer {
  /** Unique within the connection; the prefix of this consumer's ack tokens. */
  readonly number: number;
  /** Set once the MQM's subscribe() returned it. */
  readonly subscription?: Subscription | undefined;
}

export class ConsumerTable<C extends TableConsumer> {
  private readonly byId = new Map<string, C>();
  private readonly byNumber = new Map<number, C>();
  private counter = 0;

  get size(): number {
    return this.byId.size;
  }

  /** A fresh number for the next consumer of this connection. */
  nextNumber(): number {
    return ++this.counter;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): C | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<C> {
    return this.byId.values();
  }

  add(consumer: C): void {
    this.byId.set(consumer.id, consumer);
    this.byNumber.set(consumer.number, consumer);
  }

  remove(consumer: C): void {
    this.byId.delete(consumer.id);
    this.byNumber.delete(consumer.number);
  }

  /** The token a client sends back to acknowledge delivery `tag` of `consumer`. */
  static ackToken(consumer: TableConsumer, tag: number): string {
    return `${consumer.number}-${tag}`;
  }

  /** The consumer and delivery tag an ack token names, or undefined for a token it never gave. */
  byAckToken(token: string): { consumer: C; tag: number } | undefined {
    const dash = token.indexOf('-');
    if (dash <= 0) return undefined;
    const consumer = this.byNumber.get(decimal(token, 0, dash));
    const tag = decimal(token, dash + 1, token.length);
    if (consumer === undefined || !Number.isSafeInteger(tag) || tag <= 0) return undefined;
    return { consumer, tag };
  }

  /** The client caught up: every subscription may take deliveries again. */
  resumeAll(): void {
    for (const consumer of this.byId.values()) consumer.subscription?.resume();
  }

  clear(): void {
    this.byId.clear();
    this.byNumber.clear();
  }
}

/** The digits text[from, to) as a number, NaN for anything else: one ack per message, no slicing. */
function decimal(text: string, from: number, to: number): number {
  if (to <= from || to - from > 16) return Number.NaN;
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}
