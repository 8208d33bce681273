// @ts-check
/** The priority type's own rules, beside the conformance suite: order, acks, NACK, prefetch, limits. */
import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { Broker, ErrorCodes, createLogger } from '@wharf/core';
import { connectClient, expectWharfError, settle, startTestBroker } from '@wharf/testkit';
import priorityPlugin from '../src/index.js';

const routing = {
  rules: [
    { match: '^/priority/bounded/', type: 'priority', options: { maxLength: 3 } },
    { match: '^/priority/lossy/', type: 'priority', options: { maxLength: 3, overflow: 'drop-lowest' } },
    { match: '^/priority/', type: 'priority' },
  ],
  prefixes: {},
  fallback: 'reject',
};

/** @import { TestClient } from '@wharf/testkit' */
/** @typedef {readonly [string, number | string | undefined]} Sent [body, priority]; a priority of undefined sends no header. */

describe('priority queue type', () => {
  /** @type {Broker} */
  let broker;
  /** @type {TestClient} */
  let client;

  /**
   * @param {string} destination
   * @param {readonly Sent[]} messages
   */
  const sendAll = async (destination, messages) => {
    for (const [body, priority] of messages) await client.send(destination, body, priority === undefined ? {} : { priority: String(priority) });
    await settle();
  };

  beforeEach(async () => {
    broker = await startTestBroker({ plugins: [priorityPlugin], routing });
    client = await connectClient(broker);
  });

  afterEach(async () => {
    await broker.stop();
  });

  it('delivers higher priorities first and FIFO within a priority; no header means the default, 4', async () => {
    await sendAll('/priority/a', [['low-1', 1], ['mid-1', 5], ['low-2', 1], ['top-1', 9], ['mid-2', 5], ['plain', undefined], ['top-2', 9]]);
    const { consumer } = client.subscribe('/priority/a');
    expect(consumer.bodies).to.deep.equal(['top-1', 'top-2', 'mid-1', 'mid-2', 'plain', 'low-1', 'low-2']);
  });

  it('lets a later, more urgent message overtake the ones that wait, not the one already delivered', async () => {
    const { consumer, subscription } = client.subscribe('/priority/b', { ackMode: 'client-individual', prefetch: 1 });
    await sendAll('/priority/b', [['first', 0], ['second', 0], ['urgent', 9]]);
    expect(consumer.bodies, 'prefetch 1: one at a time').to.deep.equal(['first']);
    await client.session.ack(subscription, consumer.deliveries[0].tag);
    await client.session.ack(subscription, consumer.deliveries[1].tag);
    expect(consumer.bodies).to.deep.equal(['first', 'urgent', 'second']);
  });

  it('puts a NACKed message back at the head of its priority, redelivered with its delivery count raised', async () => {
    const { consumer, subscription } = client.subscribe('/priority/c', { ackMode: 'client-individual', prefetch: 1 });
    await sendAll('/priority/c', [['x1', 5], ['x2', 5], ['low', 1]]);
    expect(consumer.bodies).to.deep.equal(['x1']);
    client.session.nack(subscription, consumer.deliveries[0].tag);
    await settle();
    expect(consumer.bodies, 'x1 again, before x2').to.deep.equal(['x1', 'x1']);
    expect(consumer.deliveries[1]).to.include({ redelivered: true, deliveryCount: 2 });
    expect(consumer.deliveries[1].message.id).to.equal(consumer.deliveries[0].message.id);
    expect(consumer.deliveries[1].tag, 'a new delivery has a new tag').to.be.greaterThan(consumer.deliveries[0].tag);
    await client.session.ack(subscription, consumer.deliveries[1].tag);
    await client.session.ack(subscription, consumer.deliveries[2].tag);
    expect(consumer.bodies).to.deep.equal(['x1', 'x1', 'x2', 'low']);
    expect(consumer.deliveries[2]).to.include({ redelivered: false, deliveryCount: 1 });
  });

  it('offers a NACKed message to another ready subscriber before the one that refused it', async () => {
    const a = client.subscribe('/priority/d', { id: 'a', ackMode: 'client-individual', prefetch: 1 });
    const b = client.subscribe('/priority/d', { id: 'b', ackMode: 'client-individual', prefetch: 2 });
    await sendAll('/priority/d', [['one', 4]]);
    const [first, other] = a.consumer.deliveries.length === 1 ? [a, b] : [b, a];
    client.session.nack(first.subscription, first.consumer.deliveries[0].tag);
    await settle();
    expect(other.consumer.bodies).to.deep.equal(['one']);
    expect(other.consumer.deliveries[0]).to.include({ redelivered: true, deliveryCount: 2 });
  });

  it('acknowledges cumulatively in client mode and one delivery in client-individual mode', async () => {
    const cumulative = client.subscribe('/priority/e', { ackMode: 'client' });
    const individual = client.subscribe('/priority/f', { ackMode: 'client-individual' });
    await sendAll('/priority/e', [['e1', 4], ['e2', 4], ['e3', 4]]);
    await sendAll('/priority/f', [['f1', 4], ['f2', 4], ['f3', 4]]);
    await client.session.ack(cumulative.subscription, cumulative.consumer.deliveries[1].tag);
    await client.session.ack(individual.subscription, individual.consumer.deliveries[1].tag);
    expect(broker.mqm.destinationStats('/priority/e').unacked, 'client: e1 and e2 acknowledged').to.equal(1);
    expect(broker.mqm.destinationStats('/priority/f').unacked, 'client-individual: f2 only').to.equal(2);
    await expectWharfError(() => client.session.ack(cumulative.subscription, cumulative.consumer.deliveries[0].tag), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    await client.session.ack(individual.subscription, individual.consumer.deliveries[0].tag);
  });

  it('returns every earlier unacknowledged delivery with a client-mode NACK, in their order', async () => {
    const { consumer, subscription } = client.subscribe('/priority/g', { ackMode: 'client' });
    await sendAll('/priority/g', [['g1', 3], ['g2', 7], ['g3', 3]]);
    expect(consumer.bodies).to.deep.equal(['g1', 'g2', 'g3']);
    client.session.unsubscribe(subscription);
    const { consumer: next, subscription: nextSubscription } = client.subscribe('/priority/g', { ackMode: 'client' });
    expect(next.bodies, 'given back on unsubscribe, by priority').to.deep.equal(['g2', 'g1', 'g3']);
    client.session.nack(nextSubscription, next.deliveries[1].tag); // g2 and g1 go back, g3 stays out
    await settle();
    expect(next.bodies).to.deep.equal(['g2', 'g1', 'g3', 'g2', 'g1']);
    expect(next.deliveries.slice(3).map((d) => d.deliveryCount)).to.deep.equal([3, 3]);
  });

  it('hands out at most `prefetch` unacknowledged messages; 0 means no limit', async () => {
    await sendAll('/priority/h', [['h1', 1], ['h2', 2], ['h3', 3], ['h4', 4], ['h5', 5]]);
    const limited = client.subscribe('/priority/h', { ackMode: 'client-individual', prefetch: 2 });
    expect(limited.consumer.bodies).to.deep.equal(['h5', 'h4']);
    await client.session.ack(limited.subscription, limited.consumer.deliveries[0].tag);
    expect(limited.consumer.bodies).to.deep.equal(['h5', 'h4', 'h3']);
    client.session.unsubscribe(limited.subscription);
    const unlimited = client.subscribe('/priority/h', { ackMode: 'client-individual', prefetch: 0 });
    expect(unlimited.consumer.bodies).to.deep.equal(['h4', 'h3', 'h2', 'h1']);
  });

  it('shares messages round-robin, each to one subscriber, and skips one whose buffer is full', async () => {
    const a = client.subscribe('/priority/i', { id: 'a' });
    const b = client.subscribe('/priority/i', { id: 'b', capacity: 1 });
    const c = client.subscribe('/priority/i', { id: 'c' });
    await sendAll('/priority/i', [['1', 4], ['2', 4], ['3', 4], ['4', 4], ['5', 4]]);
    expect(a.consumer.bodies).to.deep.equal(['1', '4']);
    expect(b.consumer.bodies, 'full after one').to.deep.equal(['2']);
    expect(c.consumer.bodies).to.deep.equal(['3', '5']);
  });

  it('refuses a send past maxLength with WHARF_ERR_OVERFLOW under overflow: reject', async () => {
    await sendAll('/priority/bounded/q', [['1', 1], ['2', 2], ['3', 3]]);
    const error = await expectWharfError(() => client.send('/priority/bounded/q', '4', { priority: '9' }), ErrorCodes.OVERFLOW);
    expect(error.hint).to.match(/drop-lowest/);
    expect(broker.mqm.destinationStats('/priority/bounded/q')).to.include({ depth: 3, enqueued: 3 });
  });

  it('drops the oldest message of the lowest priority under drop-lowest, or the new one if it ranks lower', async () => {
    await sendAll('/priority/lossy/q', [['low-old', 2], ['low-new', 2], ['high', 8], ['mid', 5], ['lowest', 0]]);
    expect(broker.mqm.destinationStats('/priority/lossy/q')).to.include({ depth: 3, dropped: 2 });
    expect(client.subscribe('/priority/lossy/q').consumer.bodies).to.deep.equal(['high', 'mid', 'low-new']);
  });

  it('counts priorities above 9 as 9 and refuses one that is not a whole number, naming the header', async () => {
    await sendAll('/priority/j', [['nine', 9], ['big', 200]]);
    for (const bad of ['-1', 'high', '4.5', '', ' 5', '0x5', '1e1']) {
      const error = await expectWharfError(() => client.send('/priority/j', 'bad', { priority: bad }), ErrorCodes.PROTOCOL);
      expect(error.message).to.contain('priority');
      expect(error.hint).to.match(/0 \(lowest\) to 9/);
    }
    expect(client.subscribe('/priority/j').consumer.bodies, 'FIFO among the 9s').to.deep.equal(['nine', 'big']);
  });

  it('rejects a routing rule whose options break the settings schema before the broker starts', async () => {
    const error = await expectWharfError(() => Broker.create({
      plugins: [priorityPlugin],
      routing: { rules: [{ match: '^/p/', type: 'priority', options: { overflow: 'drop-head' } }], prefixes: {}, fallback: 'reject' },
    }, { logger: createLogger('silent') }), ErrorCodes.CONFIG);
    expect(error.message + JSON.stringify(error.details)).to.match(/overflow/);
  });
});
