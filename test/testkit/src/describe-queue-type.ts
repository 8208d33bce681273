/**
 * The conformance suite every queue type passes, first-party or not: delivery order and ids, tags,
 * held messages (or not), unsubscribe, backpressure, stats, deletion, purge, unknown acks. It runs
 * the type in a real in-process broker, through the MQM's reference methods, exactly as protocol
 * adapters use it. A bug found in one type becomes a test here, and every type gets it.
 *
 *   describeQueueType('queue', {
 *     plugins: [queuePlugin], type: 'queue', destination: (i) => `/queue/conf-${i}`, holdsMessages: true,
 *   });
 */
import { afterEach, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import { ErrorCodes, WharfError, type Broker, type PluginEntry } from '@wharf/core';
import { connectClient, expectWharfError, settle, startTestBroker, type TestClient } from './harness.js';

export interface QueueTypeSuiteOptions {
  /** The plugins to load, the one under test among them (definitions, package names or paths). */
  readonly plugins: readonly PluginEntry[];
  /** The queue type's name, as routing rules name it. */
  readonly type: string;
  /** A destination name for test number n; each test uses fresh names. */
  readonly destination: (n: number) => string;
  /** Queue-like: messages sent before anyone subscribed are kept for the first subscriber. */
  readonly holdsMessages: boolean;
  /**
   * Queue-like acknowledgement: an unacknowledged message goes back for redelivery when its
   * subscriber leaves (topics and replay-style types do not redeliver).
   */
  readonly redelivers?: boolean;
  /**
   * The broker's routing section. By default one rule sends every name to `type` (prefixes off,
   * fallback reject), so only the plugins given need to be loaded.
   */
  readonly routing?: object;
  /** More broker config (pubsub children, limits, ...), merged over the defaults. */
  readonly config?: Record<string, unknown>;
}

/** Registers a mocha `describe` block that checks a queue type against the Destination contract. */
export function describeQueueType(name: string, options: QueueTypeSuiteOptions): void {
  const routing = options.routing ?? { rules: [{ match: '^', type: options.type }], prefixes: {}, fallback: 'reject' };

  describe(`queue type conformance: ${name}`, () => {
    let broker: Broker;
    let counter = 0;
    let clients: TestClient[] = [];
    const fresh = (): string => options.destination(counter++);
    const client = async (): Promise<TestClient> => {
      const c = await connectClient(broker);
      clients.push(c);
      return c;
    };
    const sendAll = async (c: TestClient, destination: string, bodies: readonly string[]): Promise<void> => {
      for (const body of bodies) await c.send(destination, body);
      await settle();
    };
    const range = (from: number, to: number, prefix = 'm'): string[] =>
      Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

    beforeEach(async () => {
      broker = await startTestBroker({ ...options.config, plugins: [...options.plugins], routing });
      clients = [];
    });

    afterEach(async function () {
      // The broker stays usable after every check: a fresh subscriber receives a fresh message.
      if (this.currentTest?.state === 'passed') {
        const destination = fresh();
        const c = await client();
        const { consumer } = c.subscribe(destination, { id: 'usable' });
        await sendAll(c, destination, ['still-usable']);
        expect(consumer.bodies, 'the broker stays usable after the test').to.deep.equal(['still-usable']);
      }
      for (const c of clients) if (!c.session.closed) c.close();
      await broker.stop();
    });

    it('delivers messages sent after a subscriber attached, in order, with unique ids', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer } = c.subscribe(destination);
      const bodies = range(0, 50);
      await sendAll(c, destination, bodies);
      expect(consumer.bodies).to.deep.equal(bodies);
      const ids = consumer.deliveries.map((d) => d.message.id);
      expect(new Set(ids).size, 'message ids are unique').to.equal(ids.length);
      for (const d of consumer.deliveries) expect(d.message.destination).to.equal(destination);
    });

    it('gives deliveries increasing tags and a delivery count of at least 1', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer } = c.subscribe(destination);
      await sendAll(c, destination, range(0, 20));
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
        const destination = fresh();
        const c = await client();
        await sendAll(c, destination, range(0, 5));
        const { consumer } = c.subscribe(destination);
        await sendAll(c, destination, range(5, 8));
        expect(consumer.bodies).to.deep.equal(range(0, 8));
      });
    } else {
      it('does not deliver messages sent before anyone subscribed', async () => {
        const destination = fresh();
        const c = await client();
        await sendAll(c, destination, range(0, 5));
        const { consumer } = c.subscribe(destination);
        await sendAll(c, destination, range(5, 8));
        expect(consumer.bodies).to.deep.equal(range(5, 8));
      });
    }

    if (options.redelivers) {
      it('returns a closing session\'s unacknowledged messages to the destination, not to its other subscriptions', async () => {
        // A session's subscriptions are detached one by one when it closes: the message the first
        // gives back must not go to the second, which belongs to the same closing session.
        const destination = fresh();
        const leaving = await client();
        const { consumer: first } = leaving.subscribe(destination, { ackMode: 'client-individual', prefetch: 1 });
        await sendAll(leaving, destination, ['unacked']);
        expect(first.bodies).to.deep.equal(['unacked']);
        const { consumer: second } = leaving.subscribe(destination, { ackMode: 'auto' });
        leaving.close();
        await settle();
        expect(second.bodies, 'nothing goes to a subscription of the closing session').to.deep.equal([]);
        const next = (await client()).subscribe(destination).consumer;
        await settle();
        expect(next.bodies).to.deep.equal(['unacked']);
        expect(next.deliveries[0]!.redelivered).to.equal(true);
      });
    }

    it('stops deliveries after unsubscribe', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer, subscription } = c.subscribe(destination);
      await sendAll(c, destination, ['before']);
      c.session.unsubscribe(subscription);
      await sendAll(c, destination, ['after-1', 'after-2']);
      expect(consumer.bodies).to.deep.equal(['before']);
      // The destination still works for a new subscriber.
      const next = c.subscribe(destination).consumer;
      await sendAll(c, destination, ['later']);
      expect(next.bodies).to.include('later');
      expect(consumer.bodies).to.deep.equal(['before']);
    });

    it('sends nothing more while deliver() answers false, then everything after resume(), nothing lost', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer, subscription } = c.subscribe(destination, { capacity: 2 });
      const bodies = range(0, 10);
      await sendAll(c, destination, bodies);
      expect(consumer.deliveries, 'nothing after deliver() answered false').to.have.length(2);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      await settle();
      expect(consumer.bodies).to.deep.equal(bodies);
      await sendAll(c, destination, ['after-resume']);
      expect(consumer.last && Buffer.from(consumer.last.message.body).toString()).to.equal('after-resume');
    });

    it('keeps consistent stats: enqueued, subscribers, delivered', async () => {
      const destination = fresh();
      const a = await client();
      const b = await client();
      const first = a.subscribe(destination).consumer;
      const second = b.subscribe(destination).consumer;
      await sendAll(a, destination, range(0, 6));
      let stats = broker.mqm.destinationStats(destination);
      expect(stats.type).to.equal(options.type);
      expect(stats.subscribers).to.equal(2);
      expect(stats.enqueued).to.equal(6);
      expect(stats.delivered).to.equal(first.deliveries.length + second.deliveries.length);
      expect(stats.unacked, 'auto mode leaves nothing unacknowledged').to.equal(0);
      for (const key of ['depth', 'dropped'] as const) expect(stats[key]).to.be.a('number').and.at.least(0);
      const listed = broker.mqm.listDestinations().find((d) => d.name === destination);
      expect(listed?.subscribers).to.equal(2);
      b.close();
      stats = broker.mqm.destinationStats(destination);
      expect(stats.subscribers).to.equal(1);
    });

    it('cancels consumers with a WharfError when the destination is deleted', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer } = c.subscribe(destination);
      await sendAll(c, destination, ['one']);
      expect(broker.mqm.deleteDestination(destination)).to.equal(true);
      expect(consumer.cancelled).to.be.instanceOf(WharfError);
      expect(broker.mqm.lookup(destination)).to.equal(undefined);
      await sendAll(c, destination, ['gone']);
      expect(consumer.bodies).to.deep.equal(['one']);
      // The name can be used again.
      const again = c.subscribe(destination).consumer;
      await sendAll(c, destination, ['two']);
      expect(again.bodies).to.include('two');
    });

    it('purges messages waiting for a consumer and returns how many', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer, subscription } = c.subscribe(destination, { capacity: 1 });
      await sendAll(c, destination, range(0, 3));
      const waiting = 3 - consumer.deliveries.length;
      const purged = broker.mqm.purgeDestination(destination);
      // A type may hold more than what waits (a history, say), so only the bounds are certain.
      expect(Number.isInteger(purged), 'purge returns a whole number').to.equal(true);
      expect(purged).to.be.within(0, 3);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      await settle();
      const ids = consumer.deliveries.map((d) => d.message.id);
      expect(new Set(ids).size, 'nothing is delivered twice').to.equal(ids.length);
      expect(consumer.deliveries.length, 'purged messages are not delivered').to.be.at.most(3 - Math.min(purged, waiting));
      await sendAll(c, destination, ['after-purge']);
      expect(consumer.bodies).to.include('after-purge');
    });

    it('refuses an ack of an unknown tag in client-individual mode with a WharfError', async () => {
      const destination = fresh();
      const c = await client();
      const { consumer, subscription } = c.subscribe(destination, { ackMode: 'client-individual' });
      await sendAll(c, destination, ['one']);
      expect(consumer.deliveries).to.have.length(1);
      const tag = consumer.deliveries[0]!.tag;
      await expectWharfError(() => c.session.ack(subscription, tag + 1000), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      c.session.ack(subscription, tag);
      await expectWharfError(() => c.session.ack(subscription, tag), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      expect(broker.mqm.destinationStats(destination).unacked).to.equal(0);
    });
  });
}
