// @ts-check
/**
 * Transactions: at COMMIT core asks the destination (Destination.prepare) and each subscription
 * (Subscription.prepare) whether the transaction's operations would be accepted, before it applies
 * any. These check the answers on a queue made directly; they must refuse exactly what publish,
 * ack and nack would refuse, and change nothing.
 */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { ErrorCodes } from '@wharf/core';
import { RecordingConsumer, expectWharfError } from '@wharf/testkit';
import { directQueue, makeMessage, session } from './direct.js';

/**
 * @import { Message } from '@wharf/core'
 * @import { PrioritySubscription } from '../src/subscription.js'
 */

/** @returns {Message[]} */
const three = () => [makeMessage('a', 1), makeMessage('b', 5), makeMessage('c', 9)];

describe('priority queue in a transaction: prepare()', () => {
  it('refuses a batch that would overflow a reject queue, counting the earlier messages of the batch, and changes nothing', async () => {
    const queue = directQueue({ maxLength: 3 });
    void queue.publish(makeMessage('held', 4));
    await expectWharfError(() => queue.prepare(three()), ErrorCodes.OVERFLOW);
    expect(queue.stats()).to.include({ depth: 1, enqueued: 1 });
    queue.prepare(three().slice(0, 2)); // room for two more
    expect(queue.stats().depth).to.equal(1);
  });

  it('accepts any batch under drop-lowest, and refuses a bad priority header as publish does', async () => {
    queueWith({ maxLength: 1, overflow: 'drop-lowest' }).prepare(three());
    const error = await expectWharfError(() => queueWith({}).prepare([makeMessage('ok', 3), makeMessage('bad', 'urgent')]), ErrorCodes.PROTOCOL);
    expect(error.message).to.contain('"urgent"');
  });

  it('refuses settlements that ack or nack would refuse, in the order given, and settles nothing', async () => {
    const individual = subscribed('client-individual');
    const [t1, t2] = individual.consumer.deliveries.map((d) => d.tag);
    individual.subscription.prepare([{ kind: 'ack', tag: t1 }, { kind: 'nack', tag: t2 }]);
    await expectWharfError(() => individual.subscription.prepare([{ kind: 'ack', tag: t1 }, { kind: 'ack', tag: t1 }]), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    await expectWharfError(() => individual.subscription.prepare([{ kind: 'ack', tag: t2 + 100 }]), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    expect(individual.queue.stats().unacked, 'nothing settled').to.equal(3);

    const cumulative = subscribed('client');
    const [c1, c2] = cumulative.consumer.deliveries.map((d) => d.tag);
    // In client mode an ACK of c2 settles c1 too: a later settlement of c1 is refused.
    await expectWharfError(() => cumulative.subscription.prepare([{ kind: 'ack', tag: c2 }, { kind: 'nack', tag: c1 }]), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    cumulative.subscription.prepare([{ kind: 'ack', tag: c1 }, { kind: 'ack', tag: c2 }]);

    const auto = subscribed('auto');
    auto.subscription.prepare([{ kind: 'ack', tag: auto.consumer.deliveries[2].tag }]);
    await expectWharfError(() => auto.subscription.prepare([{ kind: 'ack', tag: 99 }]), ErrorCodes.UNKNOWN_SUBSCRIPTION);
  });
});

/** @param {Record<string, unknown>} settings */
function queueWith(settings) {
  return directQueue(settings);
}

/**
 * A queue of three messages and a subscriber in `ackMode` that received all three.
 * @param {'auto' | 'client' | 'client-individual'} ackMode
 */
function subscribed(ackMode) {
  const queue = queueWith({});
  for (const m of three()) void queue.publish(m);
  const consumer = new RecordingConsumer(session, { ackMode });
  const subscription = /** @type {PrioritySubscription} */ (queue.attach(consumer));
  return { queue, consumer, subscription };
}
