/**
 * Several subscribers: a queue-like type hands each message to exactly one of them; a topic-like
 * type hands it to every one attached when it was sent, and to nobody who attached later.
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { range, useBroker } from './context.js';

export function describeSharingChecks(options: QueueTypeSuiteOptions): void {
  const fanOut = options.fanOut ?? !(options.redelivers ?? false);

  describe('several subscribers', () => {
    const t = useBroker(options);

    if (!fanOut) {
      it('hands each message to exactly one of several subscribers, none lost', async () => {
        const destination = t.fresh();
        const consumers = [];
        for (let i = 0; i < 3; i++) consumers.push((await t.client()).subscribe(destination).consumer);
        const sender = await t.client();
        const bodies = range(0, 30);
        await t.sendAll(sender, destination, bodies);
        const received = consumers.flatMap((c) => c.bodies);
        expect(received.length, 'deliveries in all (a message given to two subscribers counts twice)').to.equal(bodies.length);
        expect([...received].sort()).to.deep.equal([...bodies].sort());
        for (const c of consumers) {
          const own = c.bodies;
          expect(own, 'each subscriber receives its share in send order').to.deep.equal(bodies.filter((b) => own.includes(b)));
        }
      });

      it('gives a message held back by a full subscriber to another one', async () => {
        const destination = t.fresh();
        const full = (await t.client()).subscribe(destination, { ackMode: 'client-individual', prefetch: 1 }).consumer;
        const other = (await t.client()).subscribe(destination, { ackMode: 'client-individual', prefetch: 1 }).consumer;
        const sender = await t.client();
        await t.sendAll(sender, destination, range(0, 2));
        expect([...full.bodies, ...other.bodies].sort(), 'each subscriber takes one while the other is full').to.deep.equal(range(0, 2));
        expect(full.deliveries).to.have.length(1);
        expect(other.deliveries).to.have.length(1);
      });
    } else {
      it('hands every message to every subscriber attached when it was sent, in order', async () => {
        const destination = t.fresh();
        const consumers = [];
        for (let i = 0; i < 3; i++) consumers.push((await t.client()).subscribe(destination).consumer);
        const sender = await t.client();
        const bodies = range(0, 20);
        await t.sendAll(sender, destination, bodies);
        consumers.forEach((c, i) => expect(c.bodies, `subscriber ${i + 1} of 3`).to.deep.equal(bodies));
      });

      if (!options.holdsMessages) {
        it('does not deliver to a subscriber messages sent before it attached, while others were attached', async () => {
          const destination = t.fresh();
          const c = await t.client();
          const early = c.subscribe(destination).consumer;
          await t.sendAll(c, destination, range(0, 5));
          const late = (await t.client()).subscribe(destination).consumer;
          await t.sendAll(c, destination, range(5, 8));
          expect(early.bodies).to.deep.equal(range(0, 8));
          expect(late.bodies, 'the late subscriber gets only what was sent after it attached').to.deep.equal(range(5, 8));
        });
      }

      it('keeps delivering to the other subscribers when one unsubscribes', async () => {
        const destination = t.fresh();
        const a = await t.client();
        const first = a.subscribe(destination);
        const second = (await t.client()).subscribe(destination).consumer;
        await t.sendAll(a, destination, ['both']);
        a.session.unsubscribe(first.subscription);
        await t.sendAll(a, destination, ['second-only']);
        expect(first.consumer.bodies).to.deep.equal(['both']);
        expect(second.bodies).to.deep.equal(['both', 'second-only']);
      });
    }
  });
}
