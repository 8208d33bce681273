/**
 * subscribe {destination, id, ack?, prefetch?, receipt?} and unsubscribe {id, receipt?}. The id is
 * the client's name for the subscription; messages carry it back in `subscription`.
 */
import type { AckMode } from '@wharf/core';
import { limitError, protocolError } from '../errors.js';
import { RECEIPT, type OpHandler, type Request } from './op.js';

interface SubscribeRequest extends Request {
  readonly destination: string;
  readonly id: string;
  readonly ack?: AckMode;
  readonly prefetch?: number;
}

export const subscribeOp: OpHandler = {
  fields: {
    destination: { type: 'name', required: true },
    id: { type: 'name', required: true },
    ack: { type: 'ack-mode' },
    prefetch: { type: 'count' },
    receipt: RECEIPT,
  },
  handle(connection, request): void {
    const { destination, id, ack = 'auto', prefetch } = request as SubscribeRequest;
    const session = connection.session();
    const table = connection.subscriptions;
    if (table.has(id)) throw protocolError(`subscription id ${JSON.stringify(id)} is already in use`, 'give each subscribe of a connection its own id');
    const { maxSubscriptions, maxUnackedPerSubscription: limit } = connection.options;
    if (table.size >= maxSubscriptions) throw limitError('maxSubscriptions', `too many subscriptions on one connection (${table.size})`);
    if (ack !== 'auto' && prefetch !== undefined && prefetch > limit) {
      throw limitError('maxUnackedPerSubscription', `prefetch ${prefetch} is above ${limit}`);
    }
    // In client modes "no limit" still means the listener's limit: unacknowledged messages are memory.
    const window = ack === 'auto' ? (prefetch ?? 0) : (prefetch || limit);
    const consumer = table.create(id, destination, session, ack, window);
    try {
      // The destination may deliver held messages at once, inside subscribe(): before the receipt.
      consumer.subscription = session.subscribe(destination, consumer);
    } catch (err) {
      table.remove(consumer);
      throw err;
    }
  },
};

export const unsubscribeOp: OpHandler = {
  fields: { id: { type: 'name', required: true }, receipt: RECEIPT },
  handle(connection, request): void {
    const id = request.id as string;
    const consumer = connection.subscriptions.get(id);
    if (consumer === undefined) throw protocolError(`no subscription with id ${JSON.stringify(id)}`, 'unsubscribe the id given in subscribe');
    connection.subscriptions.remove(consumer);
    // Unacknowledged messages go back to their queue for redelivery.
    connection.session().unsubscribe(consumer.subscription);
  },
};
