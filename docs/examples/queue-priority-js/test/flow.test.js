// @ts-check
/**
 * Flow accounting, on a destination made directly (no broker): the bytes the queue reports through
 * QueueContext.flow.held go up while messages wait and back to zero once they are handed out,
 * purged or the queue closes, so the broker's memory alarm sees only the backlog.
 */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { ErrorCodes, WharfError, createLogger, messageSize } from '@wharf/core';
import { RecordingConsumer } from '@wharf/testkit';
import { PriorityQueueType } from '../src/index.js';

/** @import { Message, QueueContext, SessionInfo } from '@wharf/core' */

/**
 * @param {{ bytes: number }} held
 * @returns {QueueContext}
 */
function context(held) {
  // Only what this type uses; the rest of QueueContext is the broker's business.
  return /** @type {QueueContext} */ (/** @type {unknown} */ ({
    name: '/priority/flow',
    logger: createLogger('silent'),
    flow: { held: (/** @type {number} */ delta) => { held.bytes += delta; }, blocked: () => undefined },
  }));
}

let counter = 0;
/**
 * @param {string} body
 * @param {number} priority
 * @returns {Message}
 */
function makeMessage(body, priority) {
  return { id: `m-${++counter}`, destination: '/priority/flow', headers: { priority: String(priority) }, body: Buffer.from(body), persistent: false, timestamp: Date.now() };
}

const session = /** @type {SessionInfo} */ (/** @type {unknown} */ ({ id: 's1', principal: { user: 'test', groups: [] }, connection: {}, closed: false }));

describe('priority queue flow accounting', () => {
  it('reports held bytes while messages wait, and gives them back on delivery, NACK, purge and close', () => {
    const held = { bytes: 0 };
    const queue = new PriorityQueueType().create('/priority/flow', {}, context(held));
    const messages = [makeMessage('aaaa', 1), makeMessage('bbbbbbbb', 7), makeMessage('cc', 4)];
    for (const m of messages) void queue.publish(m);
    const total = messages.reduce((n, m) => n + messageSize(m), 0);
    expect(held.bytes, 'all three wait').to.equal(total);

    const consumer = new RecordingConsumer(session, { ackMode: 'client-individual', prefetch: 1 });
    const subscription = queue.attach(consumer);
    expect(consumer.bodies).to.deep.equal(['bbbbbbbb']);
    expect(held.bytes, 'the delivered one no longer counts').to.equal(total - messageSize(messages[1]));
    subscription.nack(consumer.deliveries[0].tag);
    expect(consumer.deliveries).to.have.length(2);
    expect(held.bytes, 'redelivered at once: it counts neither way').to.equal(total - messageSize(messages[1]));

    expect(queue.purge()).to.equal(2);
    expect(held.bytes, 'purged').to.equal(0);
    void queue.publish(makeMessage('later', 0));
    expect(held.bytes).to.be.greaterThan(0);
    queue.close(new WharfError(ErrorCodes.CLOSED, 'test over'));
    expect(held.bytes, 'closed: nothing held').to.equal(0);
    expect(consumer.cancelled?.code).to.equal(ErrorCodes.CLOSED);
  });
});
