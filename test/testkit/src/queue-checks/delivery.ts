/**
 * Delivery to one subscriber: order and ids, tags, held messages (or not), unsubscribe,
 * backpressure, stats, deletion, purge, unknown acks.
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { ErrorCodes, WharfError } from '@wharf/core';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { expectWharfError, settle } from '../harness.js';
import { range, useBroker } from './context.js';

export function describeDeliveryChecks(options: QueueTypeSuiteOptions): void {
  describe('delivery', () => {
    const t = useBroker(options);

    it('delivers messages sent after a subscriber attached, in order, with unique ids', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination);
      const bodies = range(0, 50);
      await t.sendAll(c, destination, bodies);
      expect(consumer.bodies).to.deep.equal(bodies);
      const ids = consumer.deliveries.map((d) => d.message.id);
      expect(new Set(ids).size, 'message ids are unique').to.equal(ids.length);
      for (const d of consumer.deliveries) expect(d.message.destination, 'the destination the sender named').to.equal(t.target(destination));
    });

    it('gives deliveries increasing tags and a delivery count of at least 1', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination);
      await t.sendAll(c, destination, range(0, 20));
      expect(consumer.deliveries).to.have.length(20);
      let previous = Number.NEGATIVE_INFINITY;
      for (const d of consumer.deliveries) {
        expect(d.tag, 'tags increase within a subscription').to.be.greaterThan(previous);
        expect(d.deliveryCount).to.be.at.least(1);
        expect(d.redelivered).to.equal(false);
        previous = d.tag;
      }
    });

    if (options.holdsMessages) {
      it('delivers messages sent before the first subscriber attached, oldest first', async () => {
        const destination = t.fresh();
        const c = await t.client();
        await t.sendAll(c, destination, range(0, 5));
        const { consumer } = c.subscribe(destination);
        await t.sendAll(c, destination, range(5, 8));
        expect(consumer.bodies).to.deep.equal(range(0, 8));
      });
    } else {
      it('does not deliver messages sent before anyone subscribed', async () => {
        const destination = t.fresh();
        const c = await t.client();
        await t.sendAll(c, destination, range(0, 5));
        const { consumer } = c.subscribe(destination);
        await t.sendAll(c, destination, range(5, 8));
        expect(consumer.bodies).to.deep.equal(range(5, 8));
      });
    }

    it('stops deliveries after unsubscribe', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination);
      await t.sendAll(c, destination, ['before']);
      c.session.unsubscribe(subscription);
      await t.sendAll(c, destination, ['after-1', 'after-2']);
      expect(consumer.bodies).to.deep.equal(['before']);
      // The destination still works for a new subscriber.
      const next = c.subscribe(destination).consumer;
      await t.sendAll(c, destination, ['later']);
      expect(next.bodies).to.include('later');
      expect(consumer.bodies).to.deep.equal(['before']);
    });

    it('sends nothing more while deliver() answers false, then everything after resume(), nothing lost', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { capacity: 2 });
      const bodies = range(0, 10);
      await t.sendAll(c, destination, bodies);
      expect(consumer.deliveries, 'nothing after deliver() answered false').to.have.length(2);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      await settle();
      expect(consumer.bodies).to.deep.equal(bodies);
      await t.sendAll(c, destination, ['after-resume']);
      expect(consumer.last && Buffer.from(consumer.last.message.body).toString()).to.equal('after-resume');
    });

    it('keeps consistent stats: enqueued, subscribers, delivered', async () => {
      const destination = t.fresh();
      const a = await t.client();
      const b = await t.client();
      const first = a.subscribe(destination).consumer;
      const second = b.subscribe(destination).consumer;
      await t.sendAll(a, destination, range(0, 6));
      let stats = t.broker.mqm.destinationStats(destination);
      expect(stats.type).to.equal(options.type);
      expect(stats.subscribers).to.equal(2);
      expect(stats.enqueued).to.equal(6);
      expect(stats.delivered).to.equal(first.deliveries.length + second.deliveries.length);
      expect(stats.unacked, 'auto mode leaves nothing unacknowledged').to.equal(0);
      for (const key of ['depth', 'dropped'] as const) expect(stats[key]).to.be.a('number').and.at.least(0);
      const listed = t.broker.mqm.listDestinations().find((d) => d.name === destination);
      expect(listed?.subscribers).to.equal(2);
      b.close();
      stats = t.broker.mqm.destinationStats(destination);
      expect(stats.subscribers).to.equal(1);
    });

    it('cancels consumers with a WharfError when the destination is deleted', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination);
      await t.sendAll(c, destination, ['one']);
      expect(t.broker.mqm.deleteDestination(destination)).to.equal(true);
      expect(consumer.cancelled).to.be.instanceOf(WharfError);
      expect(t.broker.mqm.lookup(destination)).to.equal(undefined);
      await t.sendAll(c, destination, ['gone']);
      expect(consumer.bodies).to.deep.equal(['one']);
      // The name can be used again.
      const again = c.subscribe(destination).consumer;
      await t.sendAll(c, destination, ['two']);
      expect(again.bodies).to.include('two');
    });

    it('purges messages waiting for a consumer and returns how many', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { capacity: 1 });
      await t.sendAll(c, destination, range(0, 3));
      const waiting = 3 - consumer.deliveries.length;
      const purged = t.broker.mqm.purgeDestination(destination);
      // A type may hold more than what waits (a history, say), so only the bounds are certain.
      expect(Number.isInteger(purged), 'purge returns a whole number').to.equal(true);
      expect(purged).to.be.within(0, 3);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      await settle();
      const ids = consumer.deliveries.map((d) => d.message.id);
      expect(new Set(ids).size, 'nothing is delivered twice').to.equal(ids.length);
      expect(consumer.deliveries.length, 'purged messages are not delivered').to.be.at.most(3 - Math.min(purged, waiting));
      await t.sendAll(c, destination, ['after-purge']);
      expect(consumer.bodies).to.include('after-purge');
    });

    it('refuses an ack of an unknown tag in client-individual mode with a WharfError', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, ['one']);
      expect(consumer.deliveries).to.have.length(1);
      const tag = consumer.deliveries[0]!.tag;
      await expectWharfError(() => c.session.ack(subscription, tag + 1000), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      c.session.ack(subscription, tag);
      await expectWharfError(() => c.session.ack(subscription, tag), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      expect(t.broker.mqm.destinationStats(destination).unacked).to.equal(0);
    });
  });
}
