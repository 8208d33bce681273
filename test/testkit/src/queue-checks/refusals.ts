/**
 * Transactions a destination refuses part of (the suite's `refusingSettings`: settings under which
 * a destination nobody consumes from takes `accepts` messages and refuses the next). STOMP 1.2
 * §COMMIT makes a transaction atomic, so core asks the destination's `prepare(messages)` about all
 * of the transaction's messages for it before applying any operation (core/src/mqm/commit.ts).
 * The checks: such a COMMIT fails with the error the destination gives a plain send, nothing of
 * the transaction is applied (not its sends elsewhere, not its ACKs), and the destination still
 * works; `prepare` counts what the destination holds, reserves nothing, and counts on a consumer
 * taking no more than the one delivery it is sure to take (its buffer may fill during the commit).
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { WharfError } from '@wharf/core';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { expectWharfError, message, settle, type TestClient } from '../harness.js';
import { range, settleLong, useBroker } from './context.js';
import { batch, expectRefusal, snapshot } from './transactions.js';

type RefusingSettings = NonNullable<QueueTypeSuiteOptions['refusingSettings']>;

export function describeRefusalChecks(options: QueueTypeSuiteOptions, refusing: RefusingSettings): void {
  const n = refusing.accepts;
  describe(`transactions a destination refuses part of (${JSON.stringify(refusing.settings)}: ${n} accepted)`, () => {
    const t = useBroker(options, { settings: refusing.settings });
    const depth = (destination: string): number => t.broker.mqm.destinationStats(destination).depth;

    /** Plain sends that must all be accepted (`why` says why they must fit). */
    const fill = async (c: TestClient, destination: string, bodies: readonly string[], why: string): Promise<void> => {
      try {
        await t.sendAll(c, destination, bodies);
      } catch (err) {
        throw new Error(`${why}, but a plain send was refused: ${(err as Error).message}`);
      }
    };
    const sendInTransaction = async (c: TestClient, destination: string, transaction: string, bodies: readonly string[]): Promise<void> => {
      for (const body of bodies) await c.session.send(t.target(destination), message(body), transaction);
    };

    it('fails a COMMIT the destination refuses part of with its own error, applies none of the transaction, and still works', async () => {
      const full = t.fresh();
      const other = t.fresh();
      const c = await t.client();
      const { consumer: watcher, subscription } = c.subscribe(other, { ackMode: 'client-individual' });
      await t.sendAll(c, other, ['other-before']);
      expect(watcher.deliveries).to.have.length(1);
      c.session.begin('tx');
      await c.session.ack(subscription, watcher.deliveries[0]!.tag, 'tx');
      await c.session.send(t.target(other), message('other-tx'), 'tx');
      await sendInTransaction(c, full, 'tx', range(0, n + 1, 'tx'));
      const err = await expectWharfError(() => c.session.commit('tx'));
      expect(err.details['operation'], `the error names the SEND the destination refused (number ${n + 1} to it)`).to.equal(n + 3);
      await settleLong(2);
      expect(depth(full), 'none of its sends to the refusing destination was applied (a refusal that Destination.prepare missed, or a type without it, leaves those before it applied)').to.equal(0);
      expect(watcher.bodies, 'its send to another destination was not applied').to.deep.equal(['other-before']);
      expect(t.broker.mqm.destinationStats(other).unacked, 'its ACK was not applied').to.equal(1);
      // The destination's own error: n plain sends fit (the transaction took no room), the next is refused.
      await fill(c, full, range(0, n, 'plain'), `the destination holds nothing of the failed transaction, so ${n} plain sends fit`);
      const own = await expectWharfError(() => c.session.send(t.target(full), message('over')));
      expect(err.code, 'the COMMIT fails with the code the destination refuses a plain send with').to.equal(own.code);
      const { consumer } = c.subscribe(full);
      await settle();
      expect(consumer.bodies, 'only the plain sends were kept').to.deep.equal(range(0, n, 'plain'));
      await t.sendAll(c, full, ['still-works']);
      expect(consumer.last && Buffer.from(consumer.last.message.body).toString(), 'the destination still works').to.equal('still-works');
    });

    it('counts the messages it holds when it prepares a transaction: one that fits only an empty destination is refused whole', async () => {
      const destination = t.fresh();
      const c = await t.client();
      await t.sendAll(c, destination, ['held']);
      c.session.begin('tx');
      await sendInTransaction(c, destination, 'tx', range(0, n, 'tx'));
      const err = await expectWharfError(() => c.session.commit('tx'));
      expect(err.details['operation'], `holding one message, the destination refuses SEND number ${n} of the transaction`).to.equal(n);
      await settleLong(2);
      expect(depth(destination), 'nothing of the transaction was applied').to.equal(1);
      const { consumer, subscription } = c.subscribe(destination);
      await settle();
      expect(consumer.bodies).to.deep.equal(['held']);
      c.session.unsubscribe(subscription);
      // Empty again, the same transaction fits.
      c.session.begin('again');
      await sendInTransaction(c, destination, 'again', range(0, n, 'tx'));
      await c.session.commit('again');
      await settleLong(2);
      expect(depth(destination), `an empty destination takes a transaction of ${n}`).to.equal(n);
      expect(c.subscribe(destination).consumer.bodies).to.deep.equal(range(0, n, 'tx'));
    });

    it('changes nothing in Destination.prepare of a batch it refuses or accepts, and reserves no room', async () => {
      const destination = t.fresh();
      const c = await t.client();
      await t.sendAll(c, destination, ['held']);
      const target = t.broker.mqm.lookup(destination);
      expect(target?.prepare, 'a type that refuses messages needs Destination.prepare: without it a COMMIT it refuses is half applied').to.be.a('function');
      const prepare = target!.prepare!.bind(target);
      const before = snapshot(t, destination);
      prepare(batch(t, destination, range(0, n - 1, 'p')), c.session);
      expectRefusal(() => prepare(batch(t, destination, range(0, n, 'p')), c.session), n - 1,
        `Destination.prepare of ${n} messages while the destination holds 1`);
      await settleLong(2);
      expect(snapshot(t, destination), 'prepare leaves the stats and the held bytes as they were').to.deep.equal(before);
      await fill(c, destination, range(1, n), `prepare reserved nothing, so ${n - 1} more plain send(s) fit`);
      await expectWharfError(() => c.session.send(t.target(destination), message('over')));
      const { consumer } = c.subscribe(destination);
      await settle();
      expect(consumer.bodies, 'prepare enqueued nothing').to.deep.equal(['held', ...range(1, n)]);
    });

    it("applies a COMMIT whole or not at all when its consumer's buffer fills during it (deliver() answers false)", async () => {
      // A consumer takes at least the delivery it is handed; whether it takes the next one is
      // known only then (deliver() answers false: a slow socket). So prepare cannot count on it
      // taking more than one: the rest of the transaction may have to fit in the destination.
      const destination = t.fresh();
      const c = await t.client();
      const { consumer, subscription } = c.subscribe(destination, { capacity: 1 });
      c.session.begin('tx');
      await sendInTransaction(c, destination, 'tx', range(0, n + 2, 'tx'));
      let refused: unknown;
      try {
        await c.session.commit('tx');
      } catch (err) {
        refused = err;
      }
      await settleLong(2);
      if (refused === undefined) {
        consumer.capacity = Number.POSITIVE_INFINITY;
        subscription.resume();
        await settle();
        expect(consumer.bodies, 'committed: every message, in order, once the consumer resumed').to.deep.equal(range(0, n + 2, 'tx'));
        return;
      }
      expect(refused).to.be.instanceOf(WharfError);
      const why = `the COMMIT failed (${(refused as Error).message}), so nothing of it may be applied`;
      expect(consumer.bodies, why).to.deep.equal([]);
      expect(depth(destination), why).to.equal(0);
    });
  });
}
