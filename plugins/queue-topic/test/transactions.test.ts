/** A topic's part of an atomic COMMIT: it takes every message; its subscriptions check their tags. */
import { expect } from 'chai';
import { ErrorCodes, WharfError, type Broker } from '@wharf/core';
import { connectClient, expectWharfError, type TestClient } from '@wharf/testkit';
import { startTestBroker } from '@wharf/testkit';
import topicPlugin from '../src/index.js';
import type { TopicSubscription } from '../src/subscription.js';

describe('topic: transactions', () => {
  let broker: Broker;
  let client: TestClient;
  beforeEach(async () => {
    broker = await startTestBroker({ plugins: [topicPlugin], routing: { prefixes: {}, fallback: 'topic' } });
    client = await connectClient(broker);
  });
  afterEach(() => broker.stop());

  const acks = (...tags: number[]) => tags.map((tag) => ({ kind: 'ack' as const, tag }));
  const indexOf = (fn: () => void): number => {
    try {
      fn();
      return -1;
    } catch (err) {
      expect(err).to.be.instanceOf(WharfError).with.property('code', ErrorCodes.UNKNOWN_SUBSCRIPTION);
      return (err as WharfError).details['index'] as number;
    }
  };

  it('takes every message of a transaction', () => {
    client.subscribe('/topic/t');
    const topic = broker.mqm.lookup('/topic/t')!;
    expect(() => topic.prepare!([broker.mqm.createMessage('/topic/t', {}, Buffer.from('x'), false)])).to.not.throw();
  });

  for (const [mode, ok, refused, at] of [
    ['client-individual', [2, 1, 3], [1, 1], 1],
    ['client', [1, 3], [3, 2], 1],
    ['auto', [3, 3], [1, 4], 1],
  ] as const) {
    it(`checks the tags a ${mode} subscription can settle, changing nothing`, async () => {
      const { subscription } = client.subscribe('/topic/acks', { ackMode: mode });
      for (const body of ['a', 'b', 'c']) await client.send('/topic/acks', body);
      const sub = subscription as TopicSubscription;
      expect(indexOf(() => sub.prepare(acks(...ok)))).to.equal(-1);
      expect(indexOf(() => sub.prepare(acks(...refused)))).to.equal(at);
      for (const tag of ok) client.session.ack(subscription, tag); // nothing was used up by prepare
    });
  }

  it('applies no ACK of a COMMIT whose last ACK names a tag already covered (client mode)', async () => {
    const { subscription } = client.subscribe('/topic/cumulative', { ackMode: 'client', prefetch: 2 });
    for (const body of ['a', 'b', 'c']) await client.send('/topic/cumulative', body);
    client.session.begin('tx');
    client.session.ack(subscription, 2, 'tx');
    client.session.ack(subscription, 1, 'tx');
    const err = await expectWharfError(() => client.session.commit('tx'), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    expect(err.message).to.match(/^operation 2 of transaction tx \(ACK of delivery 1 on \/topic\/cumulative\)/);
    expect(broker.mqm.destinationStats('/topic/cumulative').unacked).to.equal(2);
  });
});
