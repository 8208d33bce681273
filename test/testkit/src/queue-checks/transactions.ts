/**
 * Transactions (STOMP 1.2 §BEGIN, §COMMIT, §ABORT: the operations of a transaction are handled
 * atomically), through the MQM reference methods `session.begin/send/ack/commit/abort`. Core
 * validates every operation of a COMMIT before it applies any (core/src/mqm/commit.ts): it asks
 * each destination's `prepare(messages)` and each subscription's `prepare(settlements)`
 * (core/src/spi/queue.ts), which throw what publish/ack would throw and change nothing. So:
 *
 * - a committed transaction's SENDs are delivered at COMMIT, all, in order; its ACKs take effect;
 * - an aborted one applies nothing;
 * - an ACK the subscription cannot take (an unknown tag, a delivery settled earlier in the same
 *   transaction) fails the COMMIT, and none of the transaction's earlier ACKs take effect;
 * - a `prepare`, called directly, changes nothing (deliveries, stats, held bytes);
 * - with `durable`: a committed transaction's persistent messages survive a restart, and none of
 *   one whose store write failed is delivered;
 * - with `refusingSettings` (queue-checks/refusals.ts): a transaction the destination refuses
 *   part of fails with the destination's own error and applies nothing.
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { ErrorCodes, WharfError, type AckMode, type Message, type Settlement, type Subscription } from '@wharf/core';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { expectWharfError, message, settle, type TestClient } from '../harness.js';
import { range, settleLong, useBroker, type QueueSuiteContext } from './context.js';

/** Messages made as core makes a transaction's messages, for calling `prepare` directly. */
export function batch(t: QueueSuiteContext, destination: string, bodies: readonly string[]): Message[] {
  return bodies.map((body) => t.broker.mqm.createMessage(destination, {}, Buffer.from(body), false));
}

/** What a `prepare` must leave as it was: the destination's stats and the bytes the broker counts as held. */
export function snapshot(t: QueueSuiteContext, destination: string): { stats: object; held: number } {
  return { stats: { ...t.broker.mqm.destinationStats(destination) }, held: t.broker.flow.held };
}

/** Runs `prepare` expecting a refusal: a WharfError whose `details.index`, when given, is `index`. */
export function expectRefusal(prepare: () => void, index: number, what: string): WharfError {
  let refused: unknown;
  try {
    prepare();
  } catch (err) {
    refused = err;
  }
  expect(refused, `${what}: prepare throws`).to.be.instanceOf(WharfError);
  const given = (refused as WharfError).details['index'];
  if (given !== undefined) expect(given, `${what}: details.index names the first refused item`).to.equal(index);
  return refused as WharfError;
}

const settlements = (...items: [Settlement['kind'], number][]): Settlement[] => items.map(([kind, tag]) => ({ kind, tag }));

export function describeTransactionChecks(options: QueueTypeSuiteOptions): void {
  describe('transactions', () => {
    const t = useBroker(options);
    const unacked = (destination: string): number => t.broker.mqm.destinationStats(destination).unacked;

    /** Unsubscribes, and checks the next subscriber gets `bodies` back, redelivered (types that redeliver). */
    const expectGivenBack = async (c: TestClient, destination: string, subscription: Subscription, bodies: readonly string[], why: string): Promise<void> => {
      if (!options.redelivers) return;
      c.session.unsubscribe(subscription);
      const next = (await t.client()).subscribe(destination).consumer;
      await settle();
      expect(next.bodies, why).to.deep.equal(bodies);
      for (const d of next.deliveries) expect(d.redelivered, 'given back after the subscriber left: redelivered').to.equal(true);
    };

    it('delivers the sends of a committed transaction at COMMIT, not before, all of them in order', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination);
      c.session.begin('tx');
      for (const body of range(0, 10, 'tx')) await c.session.send(t.target(destination), message(body), 'tx');
      await t.sendAll(c, destination, ['plain']);
      expect(consumer.bodies, 'a transaction\'s sends wait for its COMMIT; a plain send does not').to.deep.equal(['plain']);
      await c.session.commit('tx');
      await settleLong(2);
      expect(consumer.bodies, 'every send of the transaction, once, in order').to.deep.equal(['plain', ...range(0, 10, 'tx')]);
    });

    it('applies the ACKs of a committed transaction at COMMIT, not before (client-individual)', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, range(0, 4));
      expect(consumer.deliveries).to.have.length(4);
      c.session.begin('tx');
      await c.session.ack(subscription, consumer.deliveries[0]!.tag, 'tx');
      await c.session.ack(subscription, consumer.deliveries[2]!.tag, 'tx');
      expect(unacked(destination), 'nothing is acknowledged before the COMMIT').to.equal(4);
      await c.session.commit('tx');
      await settleLong(2);
      expect(unacked(destination), 'both ACKs took effect').to.equal(2);
      await expectGivenBack(c, destination, subscription, ['m1', 'm3'], 'only the deliveries the transaction did not acknowledge come back');
    });

    it('applies nothing of an aborted transaction: no send, no ACK, no NACK', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, range(0, 2));
      expect(consumer.deliveries).to.have.length(2);
      c.session.begin('tx');
      await c.session.send(t.target(destination), message('aborted'), 'tx');
      await c.session.ack(subscription, consumer.deliveries[0]!.tag, 'tx');
      c.session.nack(subscription, consumer.deliveries[1]!.tag, 'tx');
      c.session.abort('tx');
      await t.sendAll(c, destination, ['after']);
      expect(consumer.bodies, 'the aborted send never comes, the NACK redelivers nothing').to.deep.equal(['m0', 'm1', 'after']);
      expect(unacked(destination), 'the aborted ACK acknowledged nothing').to.equal(3);
      await expectGivenBack(c, destination, subscription, ['m0', 'm1', 'after'], 'every delivery is still unacknowledged');
    });

    it('changes nothing in Destination.prepare of a batch it accepts, and the COMMIT of that batch delivers it once', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination, { ackMode: 'client-individual' });
      await t.sendAll(c, destination, ['before']);
      const target = t.broker.mqm.lookup(destination);
      expect(target, 'the destination exists once subscribed to').to.not.equal(undefined);
      const before = snapshot(t, destination);
      target!.prepare?.(batch(t, destination, ['p0', 'p1']), c.session);
      await settleLong(2);
      expect(consumer.bodies, 'prepare delivers nothing').to.deep.equal(['before']);
      expect(snapshot(t, destination), 'prepare leaves the stats and the held bytes as they were').to.deep.equal(before);
      c.session.begin('tx');
      for (const body of ['p0', 'p1']) await c.session.send(t.target(destination), message(body), 'tx');
      await c.session.commit('tx');
      await settleLong(2);
      expect(consumer.bodies, 'the committed batch, once').to.deep.equal(['before', 'p0', 'p1']);
    });

    for (const ackMode of ['client', 'client-individual'] as const) {
      it(`fails a COMMIT whose ACK names no delivery, and applies none of its earlier ACKs (${ackMode})`, async () => {
        const destination = t.fresh();
        const c = await t.client();
        const { consumer, subscription } = c.subscribe(destination, { ackMode });
        await t.sendAll(c, destination, range(0, 3));
        expect(consumer.deliveries).to.have.length(3);
        const [t0, t1, t2] = consumer.deliveries.map((d) => d.tag) as [number, number, number];
        const unknown = t2 + 1000;
        await checkSubscriptionPrepare(t, destination, subscription, ackMode, [t0, t1, t2], () => consumer.bodies);
        c.session.begin('tx');
        await c.session.ack(subscription, t0, 'tx');
        await c.session.ack(subscription, t1, 'tx');
        await c.session.ack(subscription, unknown, 'tx');
        const err = await expectWharfError(() => c.session.commit('tx'), ErrorCodes.UNKNOWN_SUBSCRIPTION);
        expect(err.details['operation'], 'the error names the ACK of the unknown tag').to.equal(3);
        await settleLong(2);
        expect(unacked(destination), 'none of the ACKs took effect (a refusal that Subscription.prepare missed, or a type without it, leaves the ACKs before it applied)').to.equal(3);
        await expectGivenBack(c, destination, subscription, range(0, 3), 'every delivery is still unacknowledged');
      });

      const twice = ackMode === 'client' ? 'ACKs a delivery its earlier ACK already covered (cumulative)' : 'settles the same delivery twice';
      it(`fails a COMMIT that ${twice}, and applies none of it (${ackMode})`, async () => {
        const destination = t.fresh();
        const c = await t.client();
        const { consumer, subscription } = c.subscribe(destination, { ackMode });
        await t.sendAll(c, destination, range(0, 3));
        expect(consumer.deliveries).to.have.length(3);
        const [t0, t1, t2] = consumer.deliveries.map((d) => d.tag) as [number, number, number];
        c.session.begin('tx');
        if (ackMode === 'client') {
          await c.session.ack(subscription, t2, 'tx'); // covers t0 and t1
          await c.session.ack(subscription, t1, 'tx');
        } else {
          await c.session.ack(subscription, t0, 'tx');
          await c.session.ack(subscription, t1, 'tx');
          await c.session.ack(subscription, t0, 'tx');
        }
        const err = await expectWharfError(() => c.session.commit('tx'), ErrorCodes.UNKNOWN_SUBSCRIPTION);
        expect(err.details['operation'], 'the error names the ACK of a delivery already settled').to.equal(ackMode === 'client' ? 2 : 3);
        await settleLong(2);
        expect(unacked(destination), 'none of the ACKs took effect (a refusal that Subscription.prepare missed, or a type without it, leaves the ACKs before it applied)').to.equal(3);
        await expectGivenBack(c, destination, subscription, range(0, 3), 'every delivery is still unacknowledged');
      });
    }
  });

  if (options.durable) describeDurableTransactionChecks(options);
}

/**
 * A transaction's persistent messages: core applies its SENDs in one turn, so their appends share
 * one store transaction (group commit) and are kept or refused together.
 */
function describeDurableTransactionChecks(options: QueueTypeSuiteOptions): void {
  describe('transactions of persistent messages', function () {
    this.timeout(20_000);
    const t = useBroker(options, { durable: true });
    const sendPersistent = async (c: TestClient, destination: string, transaction: string, bodies: readonly string[]): Promise<void> => {
      for (const body of bodies) await c.session.send(t.target(destination), message(body, {}, true), transaction);
    };

    it('keeps the persistent messages of a committed transaction across a restart, in order', async () => {
      const destination = t.fresh();
      const c = await t.client();
      c.session.begin('tx');
      await sendPersistent(c, destination, 'tx', range(0, 5));
      await c.session.commit('tx');
      await settleLong();
      await t.restart();
      const after = (await t.client()).subscribe(destination).consumer;
      await settleLong();
      expect(after.bodies, 'the committed messages, once each, in order').to.deep.equal(range(0, 5));
    });

    it('delivers none of a committed transaction whose store write failed, then goes on', async () => {
      const destination = t.fresh();
      const c = await t.client();
      const { consumer } = c.subscribe(destination);
      c.session.begin('tx');
      await sendPersistent(c, destination, 'tx', range(0, 3));
      t.store.failWrites(true);
      let failed = false;
      try {
        await c.session.commit('tx');
      } catch {
        failed = true;
      }
      await settleLong();
      t.store.failWrites(false);
      expect(failed, 'the COMMIT fails when the store refuses its messages').to.equal(true);
      expect(consumer.bodies, 'none of the refused messages is delivered').to.deep.equal([]);
      await t.sendAll(c, destination, ['after'], true);
      expect(consumer.bodies).to.deep.equal(['after']);
    });
  });
}

/**
 * Calls the subscription's `prepare` (when it has one) with settlements it can take and with ones
 * it must refuse, and checks it changed nothing: no redelivery, the same stats (unacked included).
 */
async function checkSubscriptionPrepare(
  t: QueueSuiteContext, destination: string, subscription: Subscription, ackMode: AckMode, tags: readonly [number, number, number], bodies: () => string[],
): Promise<void> {
  const prepare = subscription.prepare?.bind(subscription);
  if (prepare === undefined) return; // the COMMIT that follows checks what core does without it
  const [t0, t1, t2] = tags;
  const delivered = bodies();
  const before = snapshot(t, destination);
  prepare(settlements(['ack', t0], ['nack', t1]));
  expectRefusal(() => prepare(settlements(['ack', t0], ['ack', t2 + 1000])), 1, 'Subscription.prepare of an unknown tag');
  if (ackMode === 'client') expectRefusal(() => prepare(settlements(['ack', t2], ['ack', t0])), 1, 'Subscription.prepare of a tag an earlier ACK covered');
  else expectRefusal(() => prepare(settlements(['ack', t1], ['nack', t1])), 1, 'Subscription.prepare of one delivery twice');
  await settle();
  expect(bodies(), 'Subscription.prepare redelivers nothing').to.deep.equal(delivered);
  expect(snapshot(t, destination), 'Subscription.prepare leaves the stats as they were').to.deep.equal(before);
}
