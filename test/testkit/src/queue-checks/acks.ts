/**
 * Acknowledgement (STOMP 1.2 §SUBSCRIBE ack, §ACK, §NACK): prefetch windows, cumulative `client`
 * acks, one-message `client-individual` acks; and for types that redeliver, what NACK,
 * unsubscribe and a closing session give back: every unacknowledged message, in order, marked
 * `redelivered` with its delivery count, to a subscriber that can take it.
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { settle } from '../harness.js';
import { bodyOf, range, useBroker } from './context.js';

export function describeAckChecks(options: QueueTypeSuiteOptions): void {
  describe('acknowledgement', () => {
    const t = useBroker(options);
    const unacked = (destination: string): number => t.broker.mqm.destinationStats(destination).unacked;

    for (const ackMode of ['client', 'client-individual'] as const) {
      it(`delivers at most prefetch unacknowledged messages in ${ackMode} mode, and more after an ack`, async () => {
        const destination = t.fresh();
        const c = await t.client();
        const { consumer, subscription } = c.subscribe(destination, { ackMode, prefetch: 2 });
        await t.sendAll(c, destination, range(0, 5));
        expect(consumer.bodies, 'prefetch 2: two deliveries until an ack').to.deep.equal(range(0, 2));
        await c.session.ack(subscription, consumer.deliveries[0]!.tag);
        await settle();
        expect(consumer.bodies, 'one ack frees one place').to.deep.equal(range(0, 3));
      });
    }

    it('acknowledges every earlier delivery too with one ack in client mode (cumulative)', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client' });
      await t.sendAll(c, destination, range(0, 5));
      expect(consumer.deliveries).to.have.length(5);
      await c.session.ack(subscription, consumer.deliveries[2]!.tag);
      expect(unacked(destination), 'acking the third of five leaves two').to.equal(2);
      if (options.redelivers) {
        c.session.unsubscribe(subscription);
        const next = (await t.client()).subscribe(destination).consumer;
        await settle();
        expect(next.bodies, 'only the two after the ack come back').to.deep.equal(range(3, 5));
      }
    });

    it('acknowledges exactly the one delivery named in client-individual mode', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, range(0, 5));
      expect(consumer.deliveries).to.have.length(5);
      await c.session.ack(subscription, consumer.deliveries[2]!.tag);
      expect(unacked(destination), 'acking the third of five leaves four').to.equal(4);
      if (options.redelivers) {
        c.session.unsubscribe(subscription);
        const next = (await t.client()).subscribe(destination).consumer;
        await settle();
        expect(next.bodies, 'all but the acknowledged one come back, in order').to.deep.equal(['m0', 'm1', 'm3', 'm4']);
      }
    });

    if (!options.redelivers) return;

    it('redelivers a NACKed message (client-individual), marked redelivered, delivery count 2', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, range(0, 3));
      expect(consumer.bodies).to.deep.equal(range(0, 3));
      c.session.nack(subscription, consumer.deliveries[1]!.tag);
      await settle();
      expect(consumer.bodies, 'the refused message comes again').to.deep.equal([...range(0, 3), 'm1']);
      const again = consumer.last!;
      expect(again.redelivered).to.equal(true);
      expect(again.deliveryCount).to.equal(2);
      expect(again.message.id).to.equal(consumer.deliveries[1]!.message.id);
      expect(again.tag, 'a redelivery has a new tag').to.be.greaterThan(consumer.deliveries[2]!.tag);
      expect(unacked(destination)).to.equal(3);
    });

    it('gives an unsubscribed subscriber\'s unacknowledged messages to the next, in order, marked redelivered', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, range(0, 5));
      expect(consumer.deliveries).to.have.length(5);
      c.session.unsubscribe(subscription);
      const next = (await t.client()).subscribe(destination).consumer;
      await t.sendAll(c, destination, ['m5']);
      expect(next.bodies, 'nothing lost, the old order kept').to.deep.equal(range(0, 6));
      next.deliveries.forEach((d, i) => {
        expect(d.redelivered, `${bodyOf(d)} redelivered`).to.equal(i < 5);
        expect(d.deliveryCount, `${bodyOf(d)} delivery count`).to.equal(i < 5 ? 2 : 1);
      });
    });

    it('gives a closed session\'s unacknowledged messages to another session, in order', async () => {
      const destination = t.fresh();
      const leaving = await t.client();
      const { consumer } = leaving.subscribe(destination, { ackMode: 'client' });
      await t.sendAll(leaving, destination, range(0, 4));
      expect(consumer.deliveries).to.have.length(4);
      const next = (await t.client()).subscribe(destination, { ackMode: 'client-individual' }).consumer;
      leaving.close();
      await settle();
      expect(next.bodies, 'the messages of the closed session, in order').to.deep.equal(range(0, 4));
      for (const d of next.deliveries) expect(d.redelivered, bodyOf(d)).to.equal(true);
    });

    it('returns a closing session\'s unacknowledged messages to the destination, not to its other subscriptions', async () => {
      // A session's subscriptions are detached one by one when it closes: the message the first
      // gives back must not go to the second, which belongs to the same closing session.
      const destination = t.fresh();
      const leaving = await t.client();
      const { consumer: first } = leaving.subscribe(destination, { ackMode: 'client-individual', prefetch: 1 });
      await t.sendAll(leaving, destination, ['unacked']);
      expect(first.bodies).to.deep.equal(['unacked']);
      const { consumer: second } = leaving.subscribe(destination, { ackMode: 'auto' });
      leaving.close();
      await settle();
      expect(second.bodies, 'nothing goes to a subscription of the closing session').to.deep.equal([]);
      const next = (await t.client()).subscribe(destination).consumer;
      await settle();
      expect(next.bodies).to.deep.equal(['unacked']);
      expect(next.deliveries[0]!.redelivered).to.equal(true);
    });
  });
}
