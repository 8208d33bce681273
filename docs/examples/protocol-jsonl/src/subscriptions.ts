/**
 * A connection's subscriptions. Each is a Consumer the destination delivers to: it encodes message
 * lines and answers deliver() with the writer's verdict, which is all backpressure takes. Ack
 * tokens are `<subscription number>-<delivery tag>`, so an ack finds its subscription in one lookup.
 */
import type { AckMode, ClientSession, Consumer, Delivery, Subscription, WharfError } from '@wharf/core';
import type { JsonlConnection } from './connection.js';

export class JsonlConsumer implements Consumer {
  subscription!: Subscription;
  private readonly ackPrefix: string;

  constructor(
    private readonly connection: JsonlConnection,
    readonly id: string,
    readonly number: number,
    readonly destination: string,
    readonly session: ClientSession,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {
    this.ackPrefix = `${number}-`;
  }

  deliver(delivery: Delivery): boolean {
    const message = delivery.message;
    const body = message.body;
    const line = JSON.stringify({
      op: 'message',
      // The name the client subscribed to (a pubsub child's, for copies), as STOMP's MESSAGE does.
      destination: this.destination,
      subscription: this.id,
      id: message.id,
      ack: this.ackMode === 'auto' ? undefined : this.ackPrefix + delivery.tag, // undefined: left out
      headers: message.headers,
      body: Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64'),
      redelivered: delivery.redelivered,
    });
    // false = the client is behind: the destination holds further messages until resume().
    return this.connection.write(Buffer.from(line + '\n', 'utf8'));
  }

  /** The destination ended the subscription (deleted, a slow-consumer policy): tell the client, close. */
  cancel(reason: WharfError): void {
    this.connection.fail(reason);
  }
}

export class SubscriptionTable {
  private readonly byId = new Map<string, JsonlConsumer>();
  private readonly byNumber = new Map<number, JsonlConsumer>();
  private counter = 0;

  constructor(private readonly connection: JsonlConnection) {}

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): JsonlConsumer | undefined {
    return this.byId.get(id);
  }

  add(id: string, destination: string, session: ClientSession, ackMode: AckMode, prefetch: number): JsonlConsumer {
    const consumer = new JsonlConsumer(this.connection, id, ++this.counter, destination, session, ackMode, prefetch);
    this.byId.set(id, consumer);
    this.byNumber.set(consumer.number, consumer);
    return consumer;
  }

  remove(consumer: JsonlConsumer): void {
    this.byId.delete(consumer.id);
    this.byNumber.delete(consumer.number);
  }

  byAckToken(token: string): { consumer: JsonlConsumer; tag: number } | undefined {
    const dash = token.indexOf('-');
    if (dash <= 0) return undefined;
    const consumer = this.byNumber.get(Number(token.slice(0, dash)));
    const tag = Number(token.slice(dash + 1));
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
