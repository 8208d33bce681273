/**
 * A queue's part of an atomic COMMIT (STOMP 1.2 §COMMIT): `prepare` refuses what publish would
 * refuse (counting the transaction's earlier messages), and a subscription's `prepare` the tags it
 * could not settle; the broker then applies nothing of the transaction.
 */
import { expect } from 'chai';
import { ErrorCodes, WharfError, type Broker, type Message } from '@wharf/core';
import { connectClient, expectWharfError, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import queuePlugin from '../src/index.js';
import type { MessageQueue } from '../src/queue.js';
import type { QueueSubscription } from '../src/subscription.js';

const routing = {
  rules: [
    { match: '^/queue/capped/', type: 'queue', options: { maxLength: 2, overflow: 'reject' } },
    { match: '^/queue/small/', type: 'queue', options: { maxBytes: 10, overflow: 'reject' } },
    { match: '^/queue/rolling/', type: 'queue', options: { maxLength: 2, overflow: 'drop-head' } },
  ],
  prefixes: { '/queue/': 'queue' },
  fallback: 'reject',
};

describe('queue: transactions', () => {
  let broker: Broker;
  let client: TestClient;
  beforeEach(async () => {
    broker = await startTestBroker({ plugins: [queuePlugin], routing });
    client = await connectClient(broker);
  });
  afterEach(() => broker.stop());

  const queue = (name: string) => {
    broker.mqm.createDestination(name);
    return broker.mqm.lookup(name) as MessageQueue;
  };
  const messages = (name: string, ...bodies: string[]): Message[] =>
    bodies.map((b) => broker.mqm.createMessage(name, {}, Buffer.from(b), false));
  const refusedIndex = (fn: () => void): number => {
    try {
      fn();
    } catch (err) {
      expect(err).to.be.instanceOf(WharfError);
      return (err as WharfError).details['index'] as number;
    }
    return -1;
  };
  const stats = (name: string) => broker.mqm.destinationStats(name);

  describe('Destination.prepare', () => {
    it('refuses the first message that would find the queue full, counting what it already holds', async () => {
      const q = queue('/queue/capped/a');
      expect(refusedIndex(() => q.prepare(messages('/queue/capped/a', 'a', 'b')))).to.equal(-1);
      expect(refusedIndex(() => q.prepare(messages('/queue/capped/a', 'a', 'b', 'c')))).to.equal(2);
      await client.send('/queue/capped/a', 'held');
      expect(refusedIndex(() => q.prepare(messages('/queue/capped/a', 'a', 'b')))).to.equal(1);
      expect(stats('/queue/capped/a').depth, 'prepare changes nothing').to.equal(1);
    });

    it('counts on each ready consumer taking one message, no more (its buffer may fill on that one)', async () => {
      client.subscribe('/queue/capped/taken');
      const q = broker.mqm.lookup('/queue/capped/taken') as MessageQueue;
      // One goes to the consumer, two fit in the queue, the fourth does not.
      expect(refusedIndex(() => q.prepare(messages('/queue/capped/taken', 'a', 'b', 'c')))).to.equal(-1);
      expect(refusedIndex(() => q.prepare(messages('/queue/capped/taken', 'a', 'b', 'c', 'd')))).to.equal(3);
      (await connectClient(broker)).subscribe('/queue/capped/taken');
      expect(refusedIndex(() => q.prepare(messages('/queue/capped/taken', 'a', 'b', 'c', 'd'))), 'two consumers take one each').to.equal(-1);
      const windowed = queue('/queue/capped/windowed');
      client.subscribe('/queue/capped/windowed', { ackMode: 'client', prefetch: 1 });
      expect(refusedIndex(() => windowed.prepare(messages('/queue/capped/windowed', 'a', 'b', 'c', 'd')))).to.equal(3);
      const full = queue('/queue/capped/full');
      client.subscribe('/queue/capped/full', { capacity: 1 });
      await client.send('/queue/capped/full', 'fills-the-consumer');
      expect(refusedIndex(() => full.prepare(messages('/queue/capped/full', 'a', 'b', 'c'))), 'a paused consumer takes nothing').to.equal(2);
    });

    it('refuses by bytes, and a message over maxBytes even with drop-head', () => {
      const small = queue('/queue/small/a');
      expect(refusedIndex(() => small.prepare(messages('/queue/small/a', '12345', '1234', '12')))).to.equal(2);
      const rolling = queue('/queue/rolling/a');
      expect(refusedIndex(() => rolling.prepare(messages('/queue/rolling/a', 'a', 'b', 'c', 'd')))).to.equal(-1);
    });

    it('refuses everything once closed', () => {
      const q = queue('/queue/closing');
      broker.mqm.deleteDestination('/queue/closing');
      expect(() => q.prepare(messages('/queue/closing', 'a'))).to.throw(WharfError).with.property('code', ErrorCodes.CLOSED);
    });
  });

  describe('Subscription.prepare', () => {
    async function delivered(ackMode: 'client' | 'client-individual' | 'auto', count: number) {
      const { consumer, subscription } = client.subscribe('/queue/acks', { ackMode });
      for (let i = 0; i < count; i++) await client.send('/queue/acks', `m${i}`);
      await settle();
      return { consumer, subscription: subscription as QueueSubscription };
    }
    const settlements = (...tags: number[]) => tags.map((tag) => ({ kind: 'ack' as const, tag }));

    it('client-individual: each tag once', async () => {
      const { subscription } = await delivered('client-individual', 3);
      expect(refusedIndex(() => subscription.prepare(settlements(1, 3, 2)))).to.equal(-1);
      expect(refusedIndex(() => subscription.prepare(settlements(1, 2, 1)))).to.equal(2);
      expect(refusedIndex(() => subscription.prepare(settlements(9)))).to.equal(0);
      expect(stats('/queue/acks').unacked, 'prepare changes nothing').to.equal(3);
    });

    it('client: a settlement covers the earlier tags, so a later one may not name them', async () => {
      const { subscription } = await delivered('client', 3);
      expect(refusedIndex(() => subscription.prepare(settlements(1, 3)))).to.equal(-1);
      expect(refusedIndex(() => subscription.prepare(settlements(2, 1)))).to.equal(1);
    });

    it('auto: any tag handed out', async () => {
      const { subscription } = await delivered('auto', 2);
      expect(refusedIndex(() => subscription.prepare(settlements(2, 2, 1)))).to.equal(-1);
      expect(refusedIndex(() => subscription.prepare(settlements(1, 3)))).to.equal(1);
    });
  });

  describe('COMMIT through the broker', () => {
    it('applies none of three SENDs to a queue with room for two (the issue-14 case)', async () => {
      client.session.begin('tx1');
      for (const body of ['a', 'b', 'c']) await client.send('/queue/capped/x', body, {}, 'tx1');
      const err = await expectWharfError(() => client.session.commit('tx1'), ErrorCodes.OVERFLOW);
      expect(err.message).to.match(/^operation 3 of transaction tx1 \(SEND to \/queue\/capped\/x\): queue \/queue\/capped\/x is full/);
      expect(stats('/queue/capped/x')).to.include({ depth: 0, enqueued: 0 });
    });

    it('applies none of a transaction whose consumer fills up on its first message (deliver() answers false)', async () => {
      // Before: prepare counted every message as taken by a consumer with no prefetch; the consumer
      // paused after one, the queue filled, and the fourth SEND was refused after three took effect.
      const { consumer } = client.subscribe('/queue/capped/slow', { capacity: 1 });
      client.session.begin('tx');
      for (const body of ['a', 'b', 'c', 'd']) await client.send('/queue/capped/slow', body, {}, 'tx');
      const err = await expectWharfError(() => client.session.commit('tx'), ErrorCodes.OVERFLOW);
      expect(err.message).to.match(/^operation 4 of transaction tx /);
      expect(err.details['applied'], 'nothing was applied').to.equal(0);
      expect(consumer.bodies).to.deep.equal([]);
      expect(stats('/queue/capped/slow')).to.include({ depth: 0, enqueued: 0 });
    });

    it('applies none of the ACKs when one in the middle was already settled', async () => {
      const { consumer, subscription } = client.subscribe('/queue/tx-acks', { ackMode: 'client-individual' });
      for (const body of ['a', 'b']) await client.send('/queue/tx-acks', body);
      await settle();
      const [first, second] = consumer.deliveries;
      client.session.begin('tx');
      client.session.ack(subscription, first!.tag, 'tx');
      client.session.ack(subscription, first!.tag, 'tx');
      client.session.ack(subscription, second!.tag, 'tx');
      const err = await expectWharfError(() => client.session.commit('tx'), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      expect(err.message).to.match(/^operation 2 of transaction tx \(ACK of delivery 1 on \/queue\/tx-acks\)/);
      expect(stats('/queue/tx-acks').unacked).to.equal(2);
    });
  });
});
