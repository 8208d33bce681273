/**
 * Flow accounting, on a destination made directly (no broker): the bytes the queue reports through
 * QueueContext.flow.held go up while messages wait and back to zero once they are handed out,
 * purged or the queue closes, so the broker's memory alarm sees only the backlog.
 */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { ErrorCodes, WharfError, messageSize } from '@wharf/core';
import { RecordingConsumer } from '@wharf/testkit';
import { directQueue, makeMessage, session } from './direct.js';

describe('priority queue flow accounting', () => {
  it('reports held bytes while messages wait, and gives them back on delivery, NACK, purge and close', () => {
    const held = { bytes: 0 };
    const queue = directQueue({}, held);
    const messages = [makeMessage('aaaa', 1), makeMessage('bbbbbbbb', 7), makeMessage('cc', 4)];
    for (const m of messages) void queue.publish(m);
    const total = messages.reduce((n, m) => n + messageSize(m), 0);
    expect(held.bytes, 'all three wait').to.equal(total);

    const consumer = new RecordingConsumer(session, { ackMode: 'client-individual', prefetch: 1 });
    const subscription = queue.attach(consumer);
    expect(consumer.bodies).to.deep.equal(['bbbbbbbb']);
    expect(held.bytes, 'the delivered one no longer counts').to.equal(total - messageSize(messages[1]!));
    subscription.nack(consumer.deliveries[0]!.tag);
    expect(consumer.deliveries).to.have.length(2);
    expect(held.bytes, 'redelivered at once: it counts neither way').to.equal(total - messageSize(messages[1]!));

    expect(queue.purge()).to.equal(2);
    expect(held.bytes, 'purged').to.equal(0);
    void queue.publish(makeMessage('later', 0));
    expect(held.bytes).to.be.greaterThan(0);
    queue.close(new WharfError(ErrorCodes.CLOSED, 'test over'));
    expect(held.bytes, 'closed: nothing held').to.equal(0);
    expect(consumer.cancelled?.code).to.equal(ErrorCodes.CLOSED);
  });
});
