/**
 * Durability (QueueContext.durable, Destination.restore; docs/durability.md): a persistent message
 * whose store write failed is refused (the sender's promise rejects) and never delivered, and the
 * ones sent after it still are; persistent messages come back after a restart on the same store,
 * in order, acknowledged ones gone, those delivered before marked redelivered.
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import type { TestClient } from '../harness.js';
import { message } from '../harness.js';
import { bodyOf, range, settleLong, useBroker } from './context.js';

/** Sends a persistent message and says whether the broker accepted it. */
async function sendPersistent(c: TestClient, destination: string, body: string): Promise<boolean> {
  try {
    await c.session.send(destination, message(body, {}, true));
    return true;
  } catch {
    return false;
  }
}

export function describeDurabilityChecks(options: QueueTypeSuiteOptions): void {
  describe('durability', function () {
    this.timeout(20_000);
    const t = useBroker(options, { durable: true });

    it('refuses a persistent message whose store write failed and never delivers it, to a subscriber or later', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination);
      expect(await sendPersistent(c, t.target(destination), 'stored-1'), 'a write that succeeds is accepted').to.equal(true);
      t.store.failWrites(true);
      expect(await sendPersistent(c, t.target(destination), 'lost'), 'the send fails when the store refuses it').to.equal(false);
      await settleLong();
      t.store.failWrites(false);
      expect(await sendPersistent(c, t.target(destination), 'stored-2')).to.equal(true);
      await settleLong();
      expect(consumer.bodies, 'the refused message is never delivered').to.deep.equal(['stored-1', 'stored-2']);

      const held = t.fresh();
      t.store.failWrites(true);
      expect(await sendPersistent(c, t.target(held), 'lost-while-held')).to.equal(false);
      t.store.failWrites(false);
      expect(await sendPersistent(c, t.target(held), 'kept')).to.equal(true);
      const late = c.subscribe(held).consumer;
      await settleLong();
      expect(late.bodies, 'a refused message is not kept for a later subscriber').to.deep.equal(['kept']);
    });

    it('keeps persistent messages across a restart, in order, without the acknowledged ones, redelivered where delivered', async () => {
      const destination = t.fresh();
      let c = await t.client();
      await t.sendAll(c, destination, range(0, 10), true);
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual', prefetch: 5 });
      await settleLong();
      expect(consumer.bodies).to.deep.equal(range(0, 5));
      await c.session.ack(subscription, consumer.deliveries[0]!.tag);
      await c.session.ack(subscription, consumer.deliveries[1]!.tag);
      await settleLong();
      // The two acks made room for two more: m2..m6 were delivered and not acknowledged.
      const delivered = consumer.bodies.slice(2);
      expect(delivered).to.deep.equal(range(2, 7));

      await t.restart();
      c = await t.client();
      const after = c.subscribe(destination).consumer;
      await settleLong();
      expect(after.bodies, 'every unacknowledged message, in the order sent').to.deep.equal(range(2, 10));
      for (const d of after.deliveries) {
        const wasDelivered = delivered.includes(bodyOf(d));
        expect(d.redelivered, `${bodyOf(d)} redelivered after the restart`).to.equal(wasDelivered);
        if (wasDelivered) expect(d.deliveryCount, `${bodyOf(d)} delivery count`).to.be.at.least(2);
        else expect(d.deliveryCount, `${bodyOf(d)} delivery count`).to.equal(1);
      }
      expect(after.deliveries.slice(0, 5).map((d) => d.message.id), 'the same message ids as before the restart')
        .to.deep.equal(consumer.deliveries.slice(2).map((d) => d.message.id));
    });

    it('restores what it kept across two restarts, and takes new messages behind them', async () => {
      const destination = t.fresh();
      let c = await t.client();
      await t.sendAll(c, destination, range(0, 4), true);
      await t.restart();
      c = await t.client();
      await t.sendAll(c, destination, range(4, 6), true);
      await t.restart();
      c = await t.client();
      await t.sendAll(c, destination, ['m6']);
      const after = c.subscribe(destination).consumer;
      await settleLong();
      expect(after.bodies).to.deep.equal(range(0, 7));
    });
  });
}
