/**
 * A priority queue made directly, without a broker, for tests of one destination's own behaviour:
 * a hand-made QueueContext (only what this type uses; the rest is the broker's business), messages
 * and a session of our own.
 */
import { createLogger, type Destination, type Message, type QueueContext, type SessionInfo } from '@wharf/core';
import { PriorityQueueType } from '../src/index.js';

export const DESTINATION = '/priority/direct';

/** A priority queue with `settings`; `held.bytes` follows what it reports to QueueContext.flow.held. */
export function directQueue(settings: Record<string, unknown> = {}, held = { bytes: 0 }): Destination {
  const ctx = {
    name: DESTINATION,
    logger: createLogger('silent'),
    flow: { held: (delta: number) => { held.bytes += delta; }, blocked: () => undefined },
  } as unknown as QueueContext;
  return new PriorityQueueType().create(DESTINATION, settings, ctx);
}

let counter = 0;

export function makeMessage(body: string, priority: number | string): Message {
  return { id: `m-${++counter}`, destination: DESTINATION, headers: { priority: String(priority) }, body: Buffer.from(body), persistent: false, timestamp: Date.now() };
}

export const session = { id: 's1', principal: { name: 'test', groups: [] }, connection: {}, closed: false } as unknown as SessionInfo;
