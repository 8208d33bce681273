// @ts-check
/**
 * A priority queue made directly, without a broker, for tests of one destination's own behaviour:
 * a hand-made QueueContext (only what this type uses; the rest is the broker's business), messages
 * and a session of our own.
 */
import { createLogger } from '@wharf/core';
import { PriorityQueue } from '../src/priority-queue.js';
import { readPrioritySettings } from '../src/settings.js';

/** @import { Message, QueueContext, SessionInfo } from '@wharf/core' */

export const DESTINATION = '/priority/direct';

/**
 * A priority queue with `settings`; `held.bytes` follows what it reports to QueueContext.flow.held.
 * @param {Record<string, unknown>} [settings]
 * @param {{ bytes: number }} [held]
 * @returns {PriorityQueue}
 */
export function directQueue(settings = {}, held = { bytes: 0 }) {
  const ctx = /** @type {QueueContext} */ (/** @type {unknown} */ ({
    name: DESTINATION,
    logger: createLogger('silent'),
    flow: { held: (/** @type {number} */ delta) => { held.bytes += delta; }, blocked: () => undefined },
  }));
  return new PriorityQueue(DESTINATION, readPrioritySettings(DESTINATION, settings), ctx);
}

let counter = 0;

/**
 * @param {string} body
 * @param {number | string} priority
 * @returns {Message}
 */
export function makeMessage(body, priority) {
  return { id: `m-${++counter}`, destination: DESTINATION, headers: { priority: String(priority) }, body: Buffer.from(body), persistent: false, timestamp: Date.now() };
}

export const session = /** @type {SessionInfo} */ (/** @type {unknown} */ ({ id: 's1', principal: { name: 'test', groups: [] }, connection: {}, closed: false }));
