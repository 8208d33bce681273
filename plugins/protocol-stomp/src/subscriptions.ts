/**
 * A connection's subscriptions. Each is a Consumer the destination delivers to; it encodes MESSAGE
 * frames (STOMP 1.2 §MESSAGE) and keeps what ACK/NACK need to find the delivery again:
 * 1.2 clients echo the `ack` header, 1.0/1.1 clients name the `message-id` (and `subscription`).
 */
import type { AckMode, ClientSession, Consumer, Delivery, Subscription, WharfError } from '@wharf/core';
import { encodeMessage } from './codec/index.js';
import type { StompConnection } from './connection.js';

const REDELIVERED: ReadonlyArray<readonly [string, string]> = [['redelivered', 'true']];
const PERSISTENT: ReadonlyArray<readonly [string, string]> = [['persistent', 'true']];
const REDELIVERED_PERSISTENT: ReadonlyArray<readonly [string, string]> = [['redelivered', 'true'], ['persistent', 'true']];
const NONE: ReadonlyArray<readonly [string, string]> = [];

export class StompConsumer implements Consumer {
  subscription!: Subscription;
  /** For 1.0/1.1 clients in client modes: message-id -> delivery tag of unacknowledged deliveries. */
  readonly tagsByMessageId: Map<string, number> | undefined;
  /** `<number>-` : the prefix of this subscription's 1.2 `ack` ids. */
  private readonly ackPrefix: string;

  constructor(
    private readonly connection: StompConnection,
    readonly id: string,
    readonly number: number,
    readonly destination: string,
    readonly session: ClientSession,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {
    this.ackPrefix = `${number}-`;
    this.tagsByMessageId = ackMode !== 'auto' && connection.version !== '1.2' ? new Map() : undefined;
  }

  deliver(delivery: Delivery): boolean {
    const message = delivery.message;
    const extra = delivery.redelivered
      ? (message.persistent ? REDELIVERED_PERSISTENT : REDELIVERED)
      : (message.persistent ? PERSISTENT : NONE);
    let ack: string | undefined;
    if (this.ackMode !== 'auto') {
      if (this.tagsByMessageId !== undefined) {
        // Re-inserted, so that the map stays in tag order for cumulative acks.
        this.tagsByMessageId.delete(message.id);
        this.tagsByMessageId.set(message.id, delivery.tag);
      }
      else ack = this.ackPrefix + delivery.tag;
    }
    const version = this.connection.version;
    let frame: Buffer | readonly Buffer[];
    try {
      frame = encodeMessage(version, this.destination, message.id, this.id, ack, extra, message.headers, message.body);
    } catch {
      // A header a 1.1+ sender wrote may be unrepresentable in this client's version (a line break
      // in a 1.0 value): deliver the message with such headers made representable.
      frame = encodeMessage(version, this.destination, message.id, this.id, ack, extra, representable(message.headers), message.body);
    }
    return this.connection.write(frame);
  }

  cancel(reason: WharfError): void {
    this.connection.fail(reason);
  }

  /** The delivery tag of an unacknowledged message a 1.0/1.1 ACK or NACK names by message-id. */
  tagOf(messageId: string): number | undefined {
    return this.tagsByMessageId?.get(messageId);
  }

  /** Forgets a settled delivery and, `cumulative`, every earlier one (the map is in tag order). */
  forget(messageId: string, tag: number, cumulative: boolean): void {
    const map = this.tagsByMessageId;
    if (map === undefined) return;
    if (!cumulative) {
      // A NACKed message may be back already under a new tag: keep that one.
      if (map.get(messageId) === tag) map.delete(messageId);
      return;
    }
    for (const [id, t] of map) {
      if (t > tag) break;
      map.delete(id);
    }
  }
}

function representable(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const cleanName = name.replace(/[\r\n:]/g, '_');
    if (cleanName.length > 0) out[cleanName] = value.replace(/[\r\n]+/g, ' ');
  }
  return out;
}

export class SubscriptionTable {
  private readonly byId = new Map<string, StompConsumer>();
  private readonly byNumber = new Map<number, StompConsumer>();
  private counter = 0;

  constructor(private readonly connection: StompConnection) {}

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): StompConsumer | undefined {
    return this.byId.get(id);
  }

  create(id: string, destination: string, session: ClientSession, ackMode: AckMode, prefetch: number): StompConsumer {
    const consumer = new StompConsumer(this.connection, id, ++this.counter, destination, session, ackMode, prefetch);
    return consumer;
  }

  add(consumer: StompConsumer): void {
    this.byId.set(consumer.id, consumer);
    this.byNumber.set(consumer.number, consumer);
  }

  remove(consumer: StompConsumer): void {
    this.byId.delete(consumer.id);
    this.byNumber.delete(consumer.number);
  }

  /** Finds the subscription and tag of a 1.2 `ack` id (`<subscription number>-<tag>`). */
  byAckId(ackId: string): { consumer: StompConsumer; tag: number } | undefined {
    const dash = ackId.indexOf('-');
    if (dash <= 0) return undefined;
    const consumer = this.byNumber.get(Number(ackId.slice(0, dash)));
    const tag = Number(ackId.slice(dash + 1));
    if (consumer === undefined || !Number.isSafeInteger(tag) || tag <= 0) return undefined;
    return { consumer, tag };
  }

  /** The first subscription to `destination` (STOMP 1.0 UNSUBSCRIBE by destination). */
  byDestination(destination: string): StompConsumer | undefined {
    for (const consumer of this.byId.values()) if (consumer.destination === destination) return consumer;
    return undefined;
  }

  /** 1.0 ACKs may omit `subscription`: the subscription that holds the message-id. */
  byMessageId(messageId: string): StompConsumer | undefined {
    for (const consumer of this.byId.values()) if (consumer.tagsByMessageId?.has(messageId)) return consumer;
    return undefined;
  }

  resumeAll(): void {
    for (const consumer of this.byId.values()) consumer.subscription?.resume();
  }

  clear(): void {
    this.byId.clear();
    this.byNumber.clear();
  }
}
