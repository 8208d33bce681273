/** SUBSCRIBE (STOMP 1.2 §SUBSCRIBE): `id` (required from 1.1), `ack` mode, and a `prefetch-count` window. */
import type { AckMode } from '@wharf/core';
import type { Frame } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { limitError, protocolError } from '../errors.js';
import { header } from '../headers.js';
import type { StompConsumer } from '../subscriptions.js';
import { required, sessionOf, type FrameHandler } from './handler.js';

const ACK_MODES: ReadonlySet<string> = new Set(['auto', 'client', 'client-individual']);

function ackModeOf(frame: Frame): AckMode {
  const mode = header(frame, 'ack') ?? 'auto';
  if (!ACK_MODES.has(mode)) throw protocolError(`invalid ack mode ${JSON.stringify(mode)}`, 'use ack:auto, ack:client or ack:client-individual');
  return mode as AckMode;
}

function prefetchOf(connection: StompConnection, frame: Frame, ackMode: AckMode): number {
  const limit = connection.options.maxUnackedPerSubscription;
  const value = header(frame, 'prefetch-count');
  if (value === undefined) return ackMode === 'auto' ? 0 : limit;
  if (!/^\d{1,10}$/.test(value)) throw protocolError(`invalid prefetch-count ${JSON.stringify(value)}`, 'prefetch-count is a whole number (0 = no limit)');
  const prefetch = Number(value);
  if (ackMode === 'auto') return prefetch;
  if (prefetch > limit) throw limitError('maxUnackedPerSubscription', `prefetch-count ${prefetch} is above ${limit}`);
  // In client modes "no limit" still means the listener's limit: unacknowledged messages are memory.
  return prefetch === 0 ? limit : prefetch;
}

export const subscribeHandler: FrameHandler = {
  handle(connection: StompConnection, frame: Frame): void {
    const session = sessionOf(connection);
    const destination = required(frame, 'destination');
    // STOMP 1.0 has no required id; the destination names the subscription then.
    const id = connection.version === '1.0' ? (header(frame, 'id') ?? destination) : required(frame, 'id');
    const table = connection.subscriptions;
    if (table.has(id)) throw protocolError(`subscription id ${JSON.stringify(id)} is already in use`, 'give each SUBSCRIBE of a connection its own id');
    if (table.size >= connection.options.maxSubscriptions) {
      throw limitError('maxSubscriptions', `too many subscriptions on one connection (${table.size})`);
    }
    const ackMode = ackModeOf(frame);
    const consumer = table.create(id, destination, session, ackMode, prefetchOf(connection, frame, ackMode));
    table.add(consumer);
    try {
      // The destination may deliver held messages at once, inside subscribe().
      consumer.subscription = session.subscribe(destination, consumer);
    } catch (err) {
      table.remove(consumer);
      throw err;
    }
  },
};

/** STOMP 1.0 §UNSUBSCRIBE: by `id` when the SUBSCRIBE had one, else by `destination`. */
function find10(connection: StompConnection, frame: Frame): StompConsumer | undefined {
  const id = header(frame, 'id');
  if (id !== undefined) return connection.subscriptions.get(id);
  const destination = required(frame, 'destination');
  return connection.subscriptions.get(destination) ?? connection.subscriptions.byDestination(destination);
}

export const unsubscribeHandler: FrameHandler = {
  handle(connection: StompConnection, frame: Frame): void {
    const session = sessionOf(connection);
    const consumer = connection.version === '1.0' ? find10(connection, frame) : connection.subscriptions.get(required(frame, 'id'));
    if (consumer === undefined) {
      const what = header(frame, 'id') !== undefined ? `id ${JSON.stringify(header(frame, 'id'))}` : `destination ${JSON.stringify(header(frame, 'destination'))}`;
      throw protocolError(`no subscription with ${what}`, 'UNSUBSCRIBE the id given in SUBSCRIBE');
    }
    connection.subscriptions.remove(consumer);
    session.unsubscribe(consumer.subscription);
  },
};
