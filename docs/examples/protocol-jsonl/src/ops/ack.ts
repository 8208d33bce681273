/**
 * ack {id, receipt?} and nack {id, receipt?}: `id` is the `ack` token of a message. In `client`
 * mode an ack (or nack) covers every earlier delivery of the subscription too; core's queue types
 * implement that, the adapter only finds the subscription and the delivery tag.
 */
import { protocolError } from '../errors.js';
import { RECEIPT, type OpHandler, type Request } from './op.js';
import type { JsonlConnection } from '../connection.js';
import type { JsonlConsumer } from '../subscriptions.js';

function locate(connection: JsonlConnection, request: Request): { consumer: JsonlConsumer; tag: number } {
  const token = request.id as string;
  const found = connection.subscriptions.byAckToken(token);
  if (found === undefined) {
    throw protocolError(`${request.op} names an unknown ack id ${JSON.stringify(token)}`, 'send back the "ack" field of a message of an open subscription');
  }
  return found;
}

const fields = { id: { type: 'name', required: true }, receipt: RECEIPT } as const;

export const ackOp: OpHandler = {
  fields,
  handle(connection, request): void | Promise<void> {
    const { consumer, tag } = locate(connection, request);
    // A promise (a persistent message being forgotten by the store) delays the receipt.
    return connection.session().ack(consumer.subscription, tag);
  },
};

export const nackOp: OpHandler = {
  fields,
  handle(connection, request): void {
    const { consumer, tag } = locate(connection, request);
    connection.session().nack(consumer.subscription, tag);
  },
};
