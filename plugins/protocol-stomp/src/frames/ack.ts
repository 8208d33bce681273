/**
 * ACK and NACK (STOMP 1.2 §ACK, §NACK). 1.2 names the delivery by the MESSAGE's `ack` header (sent
 * back as `id`); 1.1 by `message-id` and `subscription`; 1.0 by `message-id` (ACK only).
 */
import type { Frame } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { protocolError } from '../errors.js';
import { header } from '../headers.js';
import type { StompConsumer } from '../subscriptions.js';
import { required, sessionOf, type FrameHandler } from './handler.js';

interface Located {
  readonly consumer: StompConsumer;
  readonly tag: number;
  /** 1.0/1.1: the message-id the client named, which the consumer must forget once settled. */
  readonly messageId?: string;
}

function locate(connection: StompConnection, frame: Frame): Located {
  if (connection.version === '1.2') {
    const id = required(frame, 'id');
    const found = connection.subscriptions.byAckId(id);
    if (found === undefined) throw protocolError(`${frame.command} names an unknown ack id ${JSON.stringify(id)}`, 'send back the ack header of a MESSAGE of an open subscription');
    return found;
  }
  const messageId = required(frame, 'message-id');
  const subscriptionId = connection.version === '1.1' ? required(frame, 'subscription') : header(frame, 'subscription');
  const consumer = subscriptionId !== undefined
    ? connection.subscriptions.get(subscriptionId)
    : connection.subscriptions.byMessageId(messageId);
  if (consumer === undefined) {
    throw protocolError(`${frame.command} names an unknown subscription ${JSON.stringify(subscriptionId ?? '')}`, 'name the subscription id the MESSAGE came with');
  }
  const tag = consumer.tagOf(messageId);
  if (tag === undefined) {
    throw protocolError(`${frame.command} names message ${JSON.stringify(messageId)}, which is not awaiting acknowledgement`,
      'acknowledge messages of subscriptions in client or client-individual mode, once');
  }
  return { consumer, tag, messageId };
}

/**
 * Settles a delivery now, or at COMMIT when the frame names a transaction (STOMP 1.2 §BEGIN). A
 * 1.0/1.1 message-id is forgotten only when the settlement takes effect: after an ABORT the client
 * can still acknowledge the message.
 */
function settle(connection: StompConnection, frame: Frame, kind: 'ack' | 'nack'): void | Promise<void> {
  const { consumer, tag, messageId } = locate(connection, frame);
  const session = sessionOf(connection);
  const transaction = header(frame, 'transaction');
  // `client` acks are cumulative (STOMP 1.2 §SUBSCRIBE ack Header), and so are its NACKs.
  const forget = messageId === undefined ? undefined : () => consumer.forget(messageId, tag, consumer.ackMode === 'client');
  if (transaction === undefined) forget?.();
  // An ACK of a persistent message may wait for the store; its RECEIPT waits with it.
  const done: void | Promise<void> = kind === 'ack'
    ? session.ack(consumer.subscription, tag, transaction)
    : session.nack(consumer.subscription, tag, transaction);
  if (transaction !== undefined && forget !== undefined) connection.commitActions.add(transaction, forget);
  return done;
}

export const ackHandler: FrameHandler = {
  handle: (connection: StompConnection, frame: Frame) => settle(connection, frame, 'ack'),
};

export const nackHandler: FrameHandler = {
  since: '1.1',
  handle: (connection: StompConnection, frame: Frame) => settle(connection, frame, 'nack'),
};
