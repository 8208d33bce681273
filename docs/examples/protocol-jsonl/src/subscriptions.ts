/**
 * A connection's subscriptions. Each is a Consumer the destination delivers to: it encodes message
 * lines and answers deliver() with the writer's verdict, which is all backpressure takes. Ack
 * tokens are `<subscription number>-<delivery tag>`, so an ack finds its subscription in one lookup.
 */
import { ConsumerTable, type AckMode, type ClientSession, type Delivery, type Subscription, type TableConsumer, type WharfError } from '@wharf/core';
import type { JsonlConnection } from './connection.js';

export class JsonlConsumer implements TableConsumer {
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

/**
 * The connection's subscriptions: core's ConsumerTable (by id, and by the number that prefixes ack
 * tokens) plus the one thing JSONL adds, making its consumers.
 */
export class SubscriptionTable extends ConsumerTable<JsonlConsumer> {
  constructor(private readonly connection: JsonlConnection) {
    super();
  }

  create(id: string, destination: string, session: ClientSession, ackMode: AckMode, prefetch: number): JsonlConsumer {
    const consumer = new JsonlConsumer(this.connection, id, this.nextNumber(), destination, session, ackMode, prefetch);
    this.add(consumer);
    return consumer;
  }
}
