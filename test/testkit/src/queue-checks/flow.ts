/**
 * Flow control (QueueContext.flow; docs/architecture.md "Flow control"): a type that holds
 * messages reports their bytes (`flow.held`), which the broker's memory alarm counts on, and gives
 * them back when they leave; a type with a high-water mark pauses the producers that send to it
 * (`flow.blocked(true)`: their SessionControl.pauseReading is called) until consumers drained it.
 */
import { describe, it } from 'mocha';
import { expect } from 'chai';
import { messageSize } from '@wharf/core';
import type { QueueTypeSuiteOptions } from '../describe-queue-type.js';
import { message } from '../harness.js';
import { range, settleLong, useBroker } from './context.js';

const BODY = 'x'.repeat(1000);

export function describeFlowChecks(options: QueueTypeSuiteOptions): void {
  const reportsHeld = options.reportsHeldBytes ?? options.holdsMessages;
  if (reportsHeld) {
    describe('flow control: held bytes', () => {
      const t = useBroker(options);

      it('reports the bytes it holds through QueueContext.flow.held, and gives them back when purged', async () => {
        const destination = t.fresh();
        const c = await t.client();
        const before = t.broker.flow.held;
        await t.sendAll(c, destination, range(0, 20).map((n) => `${n}:${BODY}`));
        const bytes = 20 * messageSize(message(`00:${BODY}`));
        expect(t.broker.flow.held - before, `20 held messages of about ${bytes / 20} bytes`).to.be.at.least(bytes * 0.9);
        t.broker.mqm.purgeDestination(destination);
        await settleLong(2);
        expect(t.broker.flow.held - before, 'nothing reported held after a purge').to.be.at.most(0);
      });

      if (options.redelivers) {
        it('gives the held bytes back as consumers take the messages', async () => {
          const destination = t.fresh();
          const c = await t.client();
          const before = t.broker.flow.held;
          await t.sendAll(c, destination, range(0, 20).map((n) => `${n}:${BODY}`));
          expect(t.broker.flow.held - before).to.be.greaterThan(20 * 1000 * 0.9);
          const { consumer } = c.subscribe(destination);
          await settleLong(2);
          expect(consumer.deliveries).to.have.length(20);
          expect(t.broker.flow.held - before, 'nothing reported held once everything was consumed').to.be.at.most(0);
        });
      }
    });
  }

  const highWaterMark = options.highWaterMark;
  if (highWaterMark !== undefined) {
    describe('flow control: high-water mark', () => {
      const t = useBroker(options, { settings: highWaterMark.settings });

      it('pauses a producer once the destination holds more than its high-water mark, and resumes it once drained', async () => {
        const destination = t.fresh();
        const producer = await t.client();
        const limit = Math.ceil((highWaterMark.bytes * 3) / BODY.length) + 3;
        let sent = 0;
        while (!producer.paused && sent < limit) await producer.session.send(t.target(destination), message(`${sent++}:${BODY}`));
        expect(producer.paused, `the producer is paused after ${sent} messages of ${BODY.length} bytes (high-water mark ${highWaterMark.bytes} bytes)`).to.equal(true);
        expect(sent * BODY.length, 'not before the mark was reached').to.be.at.least(highWaterMark.bytes * 0.5);
        const consumer = (await t.client()).subscribe(destination).consumer;
        await settleLong(4);
        expect(consumer.deliveries, 'every message was accepted: flow control refuses nothing').to.have.length(sent);
        expect(producer.paused, 'the producer is read again once the destination drained').to.equal(false);
      });
    });
  }
}
