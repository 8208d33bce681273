/** A pubsub's part of an atomic COMMIT: every child must take every copy, or nothing is applied. */
import { expect } from 'chai';
import { ErrorCodes, type Broker } from '@wharf/core';
import { connectClient, expectWharfError, startTestBroker } from '@wharf/testkit';
import queuePlugin from '@wharf/queue-queue';
import topicPlugin from '@wharf/queue-topic';
import pubsubPlugin from '../src/index.js';

describe('pubsub: transactions', () => {
  let broker: Broker;
  beforeEach(async () => {
    broker = await startTestBroker({
      plugins: [topicPlugin, queuePlugin, pubsubPlugin],
      routing: {
        rules: [{ match: '^/queue/capped-', type: 'queue', options: { maxLength: 2, overflow: 'reject' } }],
        prefixes: { '/queue/': 'queue', '/pubsub/': 'pubsub' },
        fallback: 'topic',
      },
      pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/capped-shipping', '/topic/nobody'] } },
    });
  });
  afterEach(() => broker.stop());

  it('refuses the commit when one child would refuse a copy, naming the child; no child got anything', async () => {
    const client = await connectClient(broker);
    client.session.begin('tx');
    for (const body of ['a', 'b', 'c']) await client.send('/pubsub/orders', body, {}, 'tx');
    const err = await expectWharfError(() => client.session.commit('tx'), ErrorCodes.OVERFLOW);
    expect(err.message).to.match(/^operation 3 of transaction tx \(SEND to \/pubsub\/orders\): pubsub \/pubsub\/orders: the copy to \/queue\/capped-shipping was refused/);
    expect(broker.mqm.destinationStats('/queue/billing').enqueued).to.equal(0);
    expect(broker.mqm.destinationStats('/queue/capped-shipping').enqueued).to.equal(0);
    expect(broker.mqm.destinationStats('/pubsub/orders').enqueued).to.equal(0);
  });

  it('counts what a child gets directly and through the pubsub together', async () => {
    const client = await connectClient(broker);
    client.session.begin('tx');
    await client.send('/queue/capped-shipping', 'direct', {}, 'tx');
    await client.send('/pubsub/orders', 'copied', {}, 'tx');
    await client.send('/queue/capped-shipping', 'direct again', {}, 'tx');
    const err = await expectWharfError(() => client.session.commit('tx'), ErrorCodes.OVERFLOW);
    expect(err.message).to.match(/^operation \d of transaction tx \(SEND to \S+\): .*\/queue\/capped-shipping is full/);
    expect(broker.mqm.destinationStats('/queue/capped-shipping').enqueued).to.equal(0);
    expect(broker.mqm.destinationStats('/queue/billing').enqueued).to.equal(0);
  });

  it('copies a transaction that fits into every child, a missing topic child being no refusal', async () => {
    const client = await connectClient(broker);
    client.session.begin('tx');
    for (const body of ['a', 'b']) await client.send('/pubsub/orders', body, {}, 'tx');
    await client.session.commit('tx');
    expect(broker.mqm.destinationStats('/queue/billing').depth).to.equal(2);
    expect(broker.mqm.destinationStats('/queue/capped-shipping').depth).to.equal(2);
  });

  it('still works with forward only: a pubsub gets neither the admin API nor lookup', () => {
    const pubsub = broker.mqm.lookup('/pubsub/orders') as unknown as { ctx: Record<string, unknown> };
    expect(pubsub.ctx['admin']).to.equal(undefined);
    expect(pubsub.ctx['lookup']).to.equal(undefined);
    expect(pubsub.ctx['onEvent']).to.equal(undefined);
    expect(pubsub.ctx['forward']).to.be.a('function');
  });
});
