import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { ErrorCodes, WharfError, type Broker, type BrokerEvent, type Delivery } from '@wharf/core';
import { RecordingConsumer, connectClient, expectWharfError, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import topicPlugin from '../src/index.js';

const routing = {
  rules: [
    { match: '^/slow/', type: 'topic', options: { maxPendingMessages: 3 } },
    { match: '^/lossy/', type: 'topic', options: { maxPendingMessages: 3, slowSubscriberPolicy: 'drop-oldest' } },
    { match: '^/bytes/', type: 'topic', options: { maxPendingBytes: 100 } },
    { match: '^/lossy-bytes/', type: 'topic', options: { maxPendingBytes: 100, slowSubscriberPolicy: 'drop-oldest' } },
    { match: '^/blocking/', type: 'topic', options: { maxPendingMessages: 5, slowSubscriberPolicy: 'block' } },
  ],
  prefixes: {},
  fallback: 'topic',
};

const text = (d: Delivery): string => Buffer.from(d.message.body).toString('utf8');
const bodies = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('topic', () => {
  let broker: Broker;
  let client: TestClient;

  beforeEach(async () => {
    broker = await startTestBroker({ plugins: [topicPlugin], routing });
    client = await connectClient(broker);
  });

  afterEach(async () => {
    await broker.stop();
  });

  async function send(destination: string, list: readonly string[], from = client): Promise<void> {
    for (const body of list) await from.send(destination, body);
    await settle();
  }

  describe('lifetime', () => {
    it('is created by the first subscribe', () => {
      expect(broker.mqm.lookup('/t/a')).to.equal(undefined);
      client.subscribe('/t/a');
      expect(broker.mqm.lookup('/t/a')?.type).to.equal('topic');
      expect(broker.mqm.listDestinations()).to.deep.equal([{ name: '/t/a', type: 'topic', subscribers: 1, depth: 0 }]);
    });

    it('is removed when the last subscriber unsubscribes', async () => {
      const events: BrokerEvent[] = [];
      broker.mqm.events.on((e) => events.push(e));
      const other = await connectClient(broker);
      const first = client.subscribe('/t/a').subscription;
      const second = other.subscribe('/t/a').subscription;
      client.session.unsubscribe(first);
      expect(broker.mqm.lookup('/t/a'), 'one subscriber is left').to.not.equal(undefined);
      other.session.unsubscribe(second);
      expect(broker.mqm.lookup('/t/a')).to.equal(undefined);
      expect(broker.mqm.listDestinations()).to.deep.equal([]);
      expect(events.filter((e) => e.type === 'destination.deleted')).to.deep.equal([
        { type: 'destination.deleted', destination: '/t/a', queueType: 'topic' },
      ]);
    });

    it('is removed when the session of its last subscriber closes', async () => {
      const other = await connectClient(broker);
      other.subscribe('/t/a');
      other.subscribe('/t/b');
      other.close();
      expect(broker.mqm.listDestinations()).to.deep.equal([]);
    });

    it('drops a send to a topic nobody subscribed to and creates nothing', async () => {
      const before = broker.mqm.droppedCount;
      await send('/t/nobody', ['lost']);
      expect(broker.mqm.lookup('/t/nobody')).to.equal(undefined);
      expect(broker.mqm.droppedCount).to.equal(before + 1);
    });

    it('comes back fresh after it was removed', async () => {
      const { subscription } = client.subscribe('/t/a');
      await send('/t/a', ['one']);
      client.session.unsubscribe(subscription);
      const { consumer } = client.subscribe('/t/a');
      await send('/t/a', ['two']);
      expect(consumer.bodies).to.deep.equal(['two']);
      const stats = broker.mqm.destinationStats('/t/a');
      expect(stats.enqueued).to.equal(1);
      expect(consumer.deliveries[0]!.tag).to.equal(1);
    });

    it('leaves no destination and no memory after a million sends to a million distinct names nobody subscribed to', async function () {
      this.timeout(20_000);
      const gc = (globalThis as { gc?: () => void }).gc;
      const body = Buffer.from('x');
      const headers = {};
      const session = client.session;
      const droppedBefore = broker.mqm.droppedCount;
      gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      for (let i = 0; i < 1_000_000; i++) session.send(`/t/leak-${i}`, { headers, body });
      expect(broker.mqm.listDestinations()).to.deep.equal([]);
      expect(broker.mqm.droppedCount - droppedBefore).to.equal(1_000_000);
      if (gc) {
        gc();
        // Only bounded caches (routing decisions, rights) may remain: far below 1 KB per name.
        const growth = process.memoryUsage().heapUsed - heapBefore;
        expect(growth, `heap grew by ${growth} bytes`).to.be.below(16 * 1024 * 1024);
      }
    });
  });

  describe('fan-out', () => {
    it('delivers every message to every subscriber, in order, with the same message id', async () => {
      const others = [await connectClient(broker), await connectClient(broker)];
      const consumers = [client.subscribe('/t/a').consumer, ...others.map((c) => c.subscribe('/t/a').consumer)];
      await send('/t/a', bodies(100));
      for (const c of consumers) expect(c.bodies).to.deep.equal(bodies(100));
      for (let i = 0; i < 100; i++) {
        const ids = new Set(consumers.map((c) => c.deliveries[i]!.message.id));
        expect(ids.size, `copies of message ${i} share one id`).to.equal(1);
        const message = consumers[0]!.deliveries[i]!.message;
        for (const c of consumers) expect(c.deliveries[i]!.message).to.equal(message);
      }
      expect(broker.mqm.destinationStats('/t/a')).to.include({ subscribers: 3, enqueued: 100, delivered: 300, dropped: 0, depth: 0 });
    });

    it('keeps each producer\'s order for every subscriber with several producers', async () => {
      const producers = [await connectClient(broker), await connectClient(broker)];
      const { consumer } = client.subscribe('/t/a');
      for (let i = 0; i < 50; i++) {
        await producers[0]!.send('/t/a', `a${i}`);
        await producers[1]!.send('/t/a', `b${i}`);
      }
      expect(consumer.bodies.filter((b) => b.startsWith('a'))).to.deep.equal(bodies(50, 'a'));
      expect(consumer.bodies.filter((b) => b.startsWith('b'))).to.deep.equal(bodies(50, 'b'));
    });

    it('does not give a subscriber messages sent before it attached', async () => {
      const early = client.subscribe('/t/a').consumer;
      await send('/t/a', ['one']);
      const late = client.subscribe('/t/a', { id: 'late' }).consumer;
      await send('/t/a', ['two']);
      expect(early.bodies).to.deep.equal(['one', 'two']);
      expect(late.bodies).to.deep.equal(['two']);
    });

    it('gives each subscription its own increasing tags, delivery count 1 and never redelivered', async () => {
      const a = client.subscribe('/t/a', { id: 'a' }).consumer;
      await send('/t/a', ['x']);
      const b = client.subscribe('/t/a', { id: 'b' }).consumer;
      await send('/t/a', ['y', 'z']);
      expect(a.deliveries.map((d) => d.tag)).to.deep.equal([1, 2, 3]);
      expect(b.deliveries.map((d) => d.tag)).to.deep.equal([1, 2]);
      for (const d of [...a.deliveries, ...b.deliveries]) expect(d).to.include({ redelivered: false, deliveryCount: 1 });
    });

    it('keeps delivering to the others when a subscriber unsubscribes from inside deliver()', async () => {
      const leaver = new (class extends RecordingConsumer {
        onDeliver?: () => void;
        override deliver(delivery: Delivery): boolean {
          const more = super.deliver(delivery);
          this.onDeliver?.();
          return more;
        }
      })(client.session, { id: 'leaver' });
      const before = client.subscribe('/t/a', { id: 'before' }).consumer;
      const leaving = client.session.subscribe('/t/a', leaver);
      leaver.onDeliver = () => client.session.unsubscribe(leaving);
      const after = client.subscribe('/t/a', { id: 'after' }).consumer;
      await send('/t/a', bodies(5));
      expect(leaver.bodies).to.deep.equal(['m0']);
      expect(before.bodies).to.deep.equal(bodies(5));
      expect(after.bodies).to.deep.equal(bodies(5));
    });

    it('delivers a message published from inside deliver() after the one being delivered', async () => {
      const echo = new (class extends RecordingConsumer {
        override deliver(delivery: Delivery): boolean {
          const more = super.deliver(delivery);
          const body = text(delivery);
          if (!body.startsWith('echo')) void client.send('/t/a', `echo-${body}`);
          return more;
        }
      })(client.session, { id: 'echo' });
      client.session.subscribe('/t/a', echo);
      const watcher = client.subscribe('/t/a', { id: 'watcher' }).consumer;
      await send('/t/a', ['m0', 'm1']);
      expect(echo.bodies).to.deep.equal(['m0', 'echo-m0', 'm1', 'echo-m1']);
      expect(watcher.bodies).to.deep.equal(['m0', 'echo-m0', 'm1', 'echo-m1']);
    });
  });

  describe('slow subscribers', () => {
    it('keeps messages for a subscriber whose deliver() answered false and sends them on resume()', async () => {
      const { consumer, subscription } = client.subscribe('/t/a', { capacity: 1 });
      await send('/t/a', bodies(4));
      expect(consumer.bodies).to.deep.equal(['m0']);
      expect(broker.mqm.destinationStats('/t/a').depth).to.equal(3);
      consumer.capacity = 3;
      subscription.resume();
      expect(consumer.bodies, 'resume sends until deliver() answers false again').to.deep.equal(['m0', 'm1', 'm2']);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(consumer.bodies).to.deep.equal(bodies(4));
      expect(broker.mqm.destinationStats('/t/a').depth).to.equal(0);
    });

    it('disconnects a subscriber whose pending buffer is full with a LIMIT error, and the others keep receiving', async () => {
      const other = await connectClient(broker);
      const fast = other.subscribe('/slow/a').consumer;
      const slow = client.subscribe('/slow/a', { id: 'slow', capacity: 1 }).consumer;
      await send('/slow/a', bodies(10));
      expect(slow.cancelled).to.be.instanceOf(WharfError);
      expect(slow.cancelled!.code).to.equal(ErrorCodes.LIMIT);
      expect(slow.cancelled!.message).to.match(/subscriber too slow: .*pending buffer full \(3 messages \/ \d+ bytes/);
      expect(slow.cancelled!.hint).to.match(/drop-oldest/);
      expect(slow.bodies).to.deep.equal(['m0']);
      expect(fast.bodies).to.deep.equal(bodies(10));
      const stats = broker.mqm.destinationStats('/slow/a');
      expect(stats.subscribers).to.equal(1);
      expect(stats.dropped, 'the slow subscriber\'s pending messages and the one that did not fit').to.equal(4);
    });

    it('disconnects a slow subscriber when its pending bytes pass maxPendingBytes', async () => {
      const slow = client.subscribe('/bytes/a', { capacity: 1 }).consumer;
      const body = 'x'.repeat(40);
      await send('/bytes/a', [body, body, body]);
      expect(slow.cancelled, 'two 40-byte messages fit in 100 bytes').to.equal(undefined);
      await send('/bytes/a', [body]);
      expect(slow.cancelled?.code).to.equal(ErrorCodes.LIMIT);
      expect(slow.cancelled?.message).to.match(/2 messages \/ 80 bytes/);
    });

    it('removes the topic when the disconnected slow subscriber was its last', async () => {
      client.subscribe('/slow/b', { capacity: 1 });
      await send('/slow/b', bodies(5));
      expect(broker.mqm.lookup('/slow/b')).to.equal(undefined);
    });

    it('drops the oldest pending messages of a slow subscriber with drop-oldest, and counts them', async () => {
      const other = await connectClient(broker);
      const fast = other.subscribe('/lossy/a').consumer;
      const { consumer: slow, subscription } = client.subscribe('/lossy/a', { capacity: 1 });
      await send('/lossy/a', bodies(10));
      expect(slow.cancelled).to.equal(undefined);
      expect(fast.bodies).to.deep.equal(bodies(10));
      expect(broker.mqm.destinationStats('/lossy/a')).to.include({ dropped: 6, depth: 3, subscribers: 2 });
      slow.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(slow.bodies).to.deep.equal(['m0', 'm7', 'm8', 'm9']);
    });

    it('block: pauses the producers while a subscriber\'s buffer is full, drops nothing, and lets them go once it drained to 80%', async () => {
      const paused: string[] = [];
      const resumed: string[] = [];
      const producer = await broker.mqm.connect({}, { id: 'producer', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false }, {
        close: () => undefined,
        pauseReading: () => paused.push('producer'),
        resumeReading: () => resumed.push('producer'),
      });
      const other = await connectClient(broker);
      const fast = other.subscribe('/blocking/a').consumer;
      const { consumer: slow, subscription } = client.subscribe('/blocking/a', { capacity: 1 });
      const sendOne = (b: string): unknown => producer.send('/blocking/a', { headers: {}, body: Buffer.from(b) });
      for (const b of bodies(5)) sendOne(b); // m0 delivered, m1..m4 pending: under the limit of 5
      expect(paused, 'four pending of five: not blocked yet').to.deep.equal([]);
      for (const b of bodies(10).slice(5)) sendOne(b); // the fifth pending blocks; later sends pause the producer
      expect(paused).to.deep.equal(['producer']);
      expect(slow.cancelled, 'block never disconnects').to.equal(undefined);
      expect(fast.bodies, 'the other subscriber is not held back').to.deep.equal(bodies(10));
      expect(broker.mqm.destinationStats('/blocking/a')).to.include({ dropped: 0, depth: 9 });
      // Draining to 5 pending (more than 80% of 5) keeps it blocked; to 4 lets the producers go.
      slow.capacity = 5;
      subscription.resume();
      expect(resumed, 'five still pending').to.deep.equal([]);
      slow.capacity = 6;
      subscription.resume();
      expect(resumed).to.deep.equal(['producer']);
      slow.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(slow.bodies, 'every message, in order').to.deep.equal(bodies(10));
      await producer.close();
    });

    it('block: a blocking subscriber that leaves lets the producers go', async () => {
      const resumed: string[] = [];
      const producer = await broker.mqm.connect({}, { id: 'p', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false }, {
        close: () => undefined, pauseReading: () => undefined, resumeReading: () => resumed.push('p'),
      });
      const other = await connectClient(broker);
      other.subscribe('/blocking/b');
      const { subscription } = client.subscribe('/blocking/b', { capacity: 1 });
      for (const b of bodies(8)) producer.send('/blocking/b', { headers: {}, body: Buffer.from(b) });
      expect(broker.mqm.pausedSessions).to.equal(1);
      subscription.detach();
      expect(resumed).to.deep.equal(['p']);
      expect(broker.mqm.pausedSessions).to.equal(0);
      await producer.close();
    });

    it('drops by bytes with drop-oldest, and drops a message larger than the whole buffer', async () => {
      const { consumer: slow, subscription } = client.subscribe('/lossy-bytes/a', { capacity: 1 });
      const body = (c: string): string => c.repeat(40);
      await send('/lossy-bytes/a', [body('a'), body('b'), body('c'), body('d')]);
      expect(broker.mqm.destinationStats('/lossy-bytes/a')).to.include({ dropped: 1, depth: 2 });
      await send('/lossy-bytes/a', ['z'.repeat(200)]);
      expect(broker.mqm.destinationStats('/lossy-bytes/a')).to.include({ dropped: 2, depth: 2 });
      slow.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(slow.bodies).to.deep.equal([body('a'), body('c'), body('d')]);
    });

    it('purges pending buffers and returns how many messages it removed', async () => {
      const { consumer, subscription } = client.subscribe('/t/a', { capacity: 1 });
      const other = await connectClient(broker);
      other.subscribe('/t/a', { capacity: 2 });
      await send('/t/a', bodies(5));
      expect(broker.mqm.purgeDestination('/t/a')).to.equal(4 + 3);
      expect(broker.mqm.destinationStats('/t/a').depth).to.equal(0);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(consumer.bodies).to.deep.equal(['m0']);
    });
  });

  describe('acknowledgements', () => {
    it('limits unacknowledged deliveries to the prefetch window in client-individual mode', async () => {
      const { consumer, subscription } = client.subscribe('/t/a', { ackMode: 'client-individual', prefetch: 2 });
      await send('/t/a', bodies(5));
      expect(consumer.bodies).to.deep.equal(['m0', 'm1']);
      expect(broker.mqm.destinationStats('/t/a')).to.include({ unacked: 2, depth: 3 });
      client.session.ack(subscription, consumer.deliveries[1]!.tag);
      expect(consumer.bodies).to.deep.equal(['m0', 'm1', 'm2']);
      client.session.nack(subscription, consumer.deliveries[0]!.tag);
      expect(consumer.bodies, 'a nack frees the window and redelivers nothing').to.deep.equal(['m0', 'm1', 'm2', 'm3']);
      expect(consumer.deliveries.every((d) => !d.redelivered)).to.equal(true);
    });

    it('acknowledges cumulatively in client mode', async () => {
      const { consumer, subscription } = client.subscribe('/t/a', { ackMode: 'client', prefetch: 2 });
      await send('/t/a', bodies(5));
      expect(consumer.bodies).to.deep.equal(['m0', 'm1']);
      client.session.ack(subscription, consumer.deliveries[1]!.tag);
      expect(consumer.bodies).to.deep.equal(['m0', 'm1', 'm2', 'm3']);
      expect(broker.mqm.destinationStats('/t/a').unacked).to.equal(2);
      await expectWharfError(() => client.session.ack(subscription, consumer.deliveries[0]!.tag), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      await expectWharfError(() => client.session.ack(subscription, 99), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      client.session.ack(subscription, consumer.deliveries[3]!.tag);
      expect(consumer.bodies).to.deep.equal(bodies(5));
    });

    it('applies the pending-buffer policy to messages waiting for a full prefetch window', async () => {
      const { consumer } = client.subscribe('/slow/a', { ackMode: 'client-individual', prefetch: 1 });
      await send('/slow/a', bodies(5));
      expect(consumer.cancelled?.code).to.equal(ErrorCodes.LIMIT);
    });

    it('accepts acks in auto mode for delivered tags and ignores them', async () => {
      const { consumer, subscription } = client.subscribe('/t/a');
      await send('/t/a', ['one']);
      client.session.ack(subscription, consumer.deliveries[0]!.tag);
      client.session.nack(subscription, consumer.deliveries[0]!.tag);
      expect(consumer.bodies).to.deep.equal(['one']);
      await expectWharfError(() => client.session.ack(subscription, 42), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    });
  });

  describe('settings and deletion', () => {
    it('cancels every consumer with the reason when deleted', async () => {
      const a = client.subscribe('/t/a', { id: 'a' }).consumer;
      const b = client.subscribe('/t/a', { id: 'b' }).consumer;
      expect(broker.mqm.deleteDestination('/t/a')).to.equal(true);
      for (const c of [a, b]) {
        expect(c.cancelled?.code).to.equal(ErrorCodes.NOT_FOUND);
        expect(c.cancelled?.message).to.match(/\/t\/a was deleted/);
      }
      await send('/t/a', ['after']);
      expect(a.bodies).to.deep.equal([]);
    });

    it('refuses invalid settings in a routing rule when the broker is created', async () => {
      const err = await expectWharfError(
        () => startTestBroker({ plugins: [topicPlugin], routing: { ...routing, rules: [{ match: '^/x/', type: 'topic', options: { slowSubscriberPolicy: 'wait' } }] } }),
        ErrorCodes.CONFIG,
      );
      expect(err.message).to.match(/slowSubscriberPolicy/);
    });
  });
});
