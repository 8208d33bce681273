import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { ErrorCodes, type Broker, type BrokerEvent, type Delivery, type Subscription } from '@wharf/core';
import { RecordingConsumer, connectClient, expectWharfError, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import queuePlugin from '../src/index.js';

const routing = {
  rules: [
    { match: '^/queue/bounded/', type: 'queue', options: { maxLength: 3 } },
    { match: '^/queue/bounded-bytes/', type: 'queue', options: { maxBytes: 100 } },
    { match: '^/queue/lossy/', type: 'queue', options: { maxLength: 3, overflow: 'drop-head' } },
    { match: '^/queue/lossy-bytes/', type: 'queue', options: { maxBytes: 100, overflow: 'drop-head' } },
    { match: '^/queue/auto/', type: 'queue', options: { autoDelete: true } },
    { match: '^/queue/hwm/', type: 'queue', options: { highWaterMarkBytes: 1000 } },
  ],
  prefixes: { '/queue/': 'queue' },
  fallback: 'reject',
};

const text = (d: Delivery): string => Buffer.from(d.message.body).toString('utf8');
const bodies = (from: number, to: number, prefix = 'm'): string[] => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);
const tagOf = (consumer: RecordingConsumer, body: string): number => {
  const found = consumer.deliveries.filter((d) => text(d) === body);
  if (found.length === 0) throw new Error(`${consumer.id} never got ${body}`);
  return found[found.length - 1]!.tag;
};

/** A consumer that runs `react` after recording each delivery (to ack, nack or leave from inside deliver()). */
class ReactingConsumer extends RecordingConsumer {
  react: ((delivery: Delivery) => void) | undefined;
  override deliver(delivery: Delivery): boolean {
    const more = super.deliver(delivery);
    this.react?.(delivery);
    return more;
  }
}

describe('queue', () => {
  let broker: Broker;
  let client: TestClient;

  beforeEach(async () => {
    broker = await startTestBroker({ plugins: [queuePlugin], routing });
    client = await connectClient(broker);
  });

  afterEach(async () => {
    await broker.stop();
  });

  async function send(destination: string, list: readonly string[], from = client): Promise<void> {
    for (const body of list) await from.send(destination, body);
    await settle();
  }
  const stats = (name: string) => broker.mqm.destinationStats(name);

  describe('lifetime', () => {
    it('is created by the first send and holds the message', async () => {
      await send('/queue/a', ['one']);
      expect(broker.mqm.lookup('/queue/a')?.type).to.equal('queue');
      expect(stats('/queue/a')).to.include({ depth: 1, enqueued: 1, subscribers: 0 });
    });

    it('is created by the first subscribe', () => {
      client.subscribe('/queue/a');
      expect(broker.mqm.listDestinations()).to.deep.equal([{ name: '/queue/a', type: 'queue', subscribers: 1, depth: 0 }]);
    });

    it('stays after its last subscriber leaves, until it is deleted', async () => {
      const { subscription } = client.subscribe('/queue/a');
      client.session.unsubscribe(subscription);
      expect(broker.mqm.lookup('/queue/a')).to.not.equal(undefined);
      expect(broker.mqm.deleteDestination('/queue/a')).to.equal(true);
      expect(broker.mqm.lookup('/queue/a')).to.equal(undefined);
    });

    it('is removed with autoDelete once it is empty and its last subscriber left', async () => {
      const events: BrokerEvent[] = [];
      broker.mqm.events.on((e) => events.push(e));
      const other = await connectClient(broker);
      const first = client.subscribe('/queue/auto/a').subscription;
      other.subscribe('/queue/auto/a');
      await send('/queue/auto/a', bodies(0, 4));
      client.session.unsubscribe(first);
      expect(broker.mqm.lookup('/queue/auto/a'), 'a subscriber is left').to.not.equal(undefined);
      other.close();
      expect(broker.mqm.lookup('/queue/auto/a')).to.equal(undefined);
      expect(events.filter((e) => e.type === 'destination.deleted')).to.deep.equal([
        { type: 'destination.deleted', destination: '/queue/auto/a', queueType: 'queue' },
      ]);
    });

    it('keeps an autoDelete queue that still holds messages when its last subscriber leaves', async () => {
      const { subscription } = client.subscribe('/queue/auto/b', { ackMode: 'client-individual' });
      await send('/queue/auto/b', ['one', 'two']);
      client.session.unsubscribe(subscription);
      expect(stats('/queue/auto/b')).to.include({ depth: 2, subscribers: 0 });
      const next = client.subscribe('/queue/auto/b');
      expect(next.consumer.bodies).to.deep.equal(['one', 'two']);
      client.session.unsubscribe(next.subscription);
      expect(broker.mqm.lookup('/queue/auto/b')).to.equal(undefined);
    });

    it('cancels every consumer with the reason when deleted, and a later send starts afresh', async () => {
      const a = client.subscribe('/queue/a', { id: 'a', ackMode: 'client' }).consumer;
      const b = client.subscribe('/queue/a', { id: 'b' }).consumer;
      await send('/queue/a', bodies(0, 4));
      expect(broker.mqm.deleteDestination('/queue/a')).to.equal(true);
      for (const c of [a, b]) expect(c.cancelled?.code).to.equal(ErrorCodes.NOT_FOUND);
      await send('/queue/a', ['new']);
      expect(stats('/queue/a')).to.include({ depth: 1, enqueued: 1, subscribers: 0 });
    });
  });

  describe('holding and round-robin', () => {
    it('delivers held messages to the first subscriber, oldest first', async () => {
      await send('/queue/a', bodies(0, 5));
      const first = client.subscribe('/queue/a', { id: 'first' }).consumer;
      const second = client.subscribe('/queue/a', { id: 'second' }).consumer;
      expect(first.bodies).to.deep.equal(bodies(0, 5));
      expect(second.bodies).to.deep.equal([]);
      expect(stats('/queue/a')).to.include({ depth: 0, delivered: 5 });
    });

    it('shares messages round-robin among subscribers, each message to exactly one', async () => {
      const clients = [client, await connectClient(broker), await connectClient(broker)];
      const consumers = clients.map((c, i) => c.subscribe('/queue/a', { id: `c${i}` }).consumer);
      await send('/queue/a', bodies(0, 300));
      consumers.forEach((consumer, i) => {
        expect(consumer.bodies).to.deep.equal(bodies(0, 300).filter((_, n) => n % 3 === i));
      });
      const all = consumers.flatMap((c) => c.bodies);
      expect(new Set(all).size).to.equal(300);
      expect(stats('/queue/a')).to.include({ delivered: 300, depth: 0, enqueued: 300 });
    });

    it('skips a subscriber whose deliver() answered false until it resumes', async () => {
      const full = client.subscribe('/queue/a', { id: 'full', capacity: 2 });
      const free = client.subscribe('/queue/a', { id: 'free' }).consumer;
      await send('/queue/a', bodies(0, 6));
      expect(full.consumer.bodies).to.deep.equal(['m0', 'm2']);
      expect(free.bodies).to.deep.equal(['m1', 'm3', 'm4', 'm5']);
      full.consumer.capacity = Number.POSITIVE_INFINITY;
      full.subscription.resume();
      await send('/queue/a', ['m6', 'm7']);
      expect([...full.consumer.bodies, ...free.bodies].sort()).to.deep.equal(bodies(0, 8).sort());
      expect(full.consumer.bodies).to.have.length(3);
    });

    it('holds messages while every subscriber is full and sends them, in order, on resume()', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { capacity: 1 });
      await send('/queue/a', bodies(0, 5));
      expect(consumer.bodies).to.deep.equal(['m0']);
      expect(stats('/queue/a').depth).to.equal(4);
      consumer.capacity = 3;
      subscription.resume();
      expect(consumer.bodies).to.deep.equal(['m0', 'm1', 'm2']);
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(consumer.bodies).to.deep.equal(bodies(0, 5));
    });

    it('skips a subscriber whose prefetch window is full', async () => {
      const narrow = client.subscribe('/queue/a', { id: 'narrow', ackMode: 'client-individual', prefetch: 1 }).consumer;
      const wide = client.subscribe('/queue/a', { id: 'wide', ackMode: 'client-individual' }).consumer;
      await send('/queue/a', bodies(0, 4));
      expect(narrow.bodies).to.deep.equal(['m0']);
      expect(wide.bodies).to.deep.equal(['m1', 'm2', 'm3']);
    });

    it('dispatches a large backlog to a late subscriber in order, with many full subscribers attached', async () => {
      const fulls = Array.from({ length: 200 }, (_, i) => client.subscribe('/queue/a', { id: `full${i}`, capacity: 1 }));
      await send('/queue/a', bodies(0, 200));
      for (const f of fulls) expect(f.consumer.deliveries).to.have.length(1);
      const session = client.session;
      const body = Buffer.from('x');
      for (let i = 0; i < 100_000; i++) session.send('/queue/a', { headers: { n: String(i) }, body });
      expect(stats('/queue/a').depth).to.equal(100_000);
      const late = client.subscribe('/queue/a', { id: 'late' }).consumer;
      expect(late.deliveries).to.have.length(100_000);
      expect(late.deliveries.every((d, i) => d.message.headers['n'] === String(i))).to.equal(true);
      expect(stats('/queue/a').depth).to.equal(0);
    });
  });

  describe('acknowledgement', () => {
    it('treats auto-mode deliveries as done at once: nothing unacknowledged, nothing comes back', async () => {
      const { subscription } = client.subscribe('/queue/a', { prefetch: 2 });
      await send('/queue/a', bodies(0, 5));
      expect(stats('/queue/a')).to.include({ unacked: 0, delivered: 5, depth: 0 });
      client.session.unsubscribe(subscription);
      expect(stats('/queue/a').depth).to.equal(0);
    });

    it('acknowledges cumulatively in client mode', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client' });
      await send('/queue/a', bodies(0, 5));
      expect(stats('/queue/a').unacked).to.equal(5);
      client.session.ack(subscription, tagOf(consumer, 'm2'));
      expect(stats('/queue/a').unacked, 'm0..m2 acknowledged by one ack').to.equal(2);
      await expectWharfError(() => client.session.ack(subscription, tagOf(consumer, 'm1')), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      client.session.unsubscribe(subscription);
      const next = client.subscribe('/queue/a').consumer;
      expect(next.bodies, 'only the unacknowledged come back').to.deep.equal(['m3', 'm4']);
    });

    it('acknowledges one delivery at a time in client-individual mode', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual' });
      await send('/queue/a', bodies(0, 5));
      client.session.ack(subscription, tagOf(consumer, 'm2'));
      expect(stats('/queue/a').unacked).to.equal(4);
      client.session.unsubscribe(subscription);
      const next = client.subscribe('/queue/a').consumer;
      expect(next.bodies).to.deep.equal(['m0', 'm1', 'm3', 'm4']);
    });

    it('refuses an ack or nack of an unknown tag with UNKNOWN_SUBSCRIPTION naming the tag and the queue', async () => {
      const { subscription } = client.subscribe('/queue/a', { id: 'sub-1', ackMode: 'client-individual' });
      await send('/queue/a', ['one']);
      const err = await expectWharfError(() => client.session.ack(subscription, 77), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      expect(err.message).to.contain('77').and.contain('/queue/a').and.contain('sub-1');
      await expectWharfError(() => client.session.nack(subscription, 77), ErrorCodes.UNKNOWN_SUBSCRIPTION);
      const auto = client.subscribe('/queue/b');
      await expectWharfError(() => client.session.ack(auto.subscription, 1), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    });
  });

  describe('redelivery', () => {
    it('puts a NACKed message back at the head of the queue and redelivers it, marked, before later ones', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual', prefetch: 1 });
      await send('/queue/a', bodies(0, 3));
      client.session.nack(subscription, tagOf(consumer, 'm0'));
      expect(consumer.bodies).to.deep.equal(['m0', 'm0']);
      expect(consumer.deliveries[1]).to.include({ redelivered: true, deliveryCount: 2 });
      expect(consumer.deliveries[1]!.message.id).to.equal(consumer.deliveries[0]!.message.id);
      expect(consumer.deliveries[1]!.tag).to.be.greaterThan(consumer.deliveries[0]!.tag);
      client.session.ack(subscription, consumer.last!.tag);
      expect(consumer.last).to.include({ redelivered: false, deliveryCount: 1 });
      expect(text(consumer.last!)).to.equal('m1');
    });

    it('redelivers a NACKed message to another subscriber when one can take it', async () => {
      const a = client.subscribe('/queue/a', { id: 'a', ackMode: 'client-individual' });
      const b = client.subscribe('/queue/a', { id: 'b', ackMode: 'client-individual' });
      await send('/queue/a', ['m0', 'm1']);
      // a is next in turn, yet the message it refused goes to b.
      client.session.nack(a.subscription, tagOf(a.consumer, 'm0'));
      expect(a.consumer.bodies).to.deep.equal(['m0']);
      expect(b.consumer.bodies).to.deep.equal(['m1', 'm0']);
      expect(b.consumer.last).to.include({ redelivered: true, deliveryCount: 2 });
    });

    it('NACKs cumulatively in client mode, returning the messages in their original order', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client' });
      await send('/queue/a', bodies(0, 3));
      client.session.nack(subscription, tagOf(consumer, 'm1'));
      expect(consumer.bodies).to.deep.equal(['m0', 'm1', 'm2', 'm0', 'm1']);
      expect(consumer.deliveries.map((d) => d.redelivered)).to.deep.equal([false, false, false, true, true]);
      expect(consumer.deliveries.map((d) => d.deliveryCount)).to.deep.equal([1, 1, 1, 2, 2]);
      expect(stats('/queue/a').unacked).to.equal(3);
      client.session.ack(subscription, consumer.last!.tag);
      expect(stats('/queue/a').unacked).to.equal(0);
    });

    it('returns unacknowledged messages to the head, in order, when their subscriber unsubscribes', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual' });
      await send('/queue/a', bodies(0, 5));
      client.session.ack(subscription, tagOf(consumer, 'm1'));
      client.session.ack(subscription, tagOf(consumer, 'm3'));
      client.session.unsubscribe(subscription);
      expect(stats('/queue/a')).to.include({ depth: 3, unacked: 0 });
      await send('/queue/a', ['m5']);
      const next = client.subscribe('/queue/a').consumer;
      expect(next.bodies).to.deep.equal(['m0', 'm2', 'm4', 'm5']);
      expect(next.deliveries.map((d) => [d.redelivered, d.deliveryCount])).to.deep.equal([[true, 2], [true, 2], [true, 2], [false, 1]]);
    });

    it('redelivers the unacknowledged messages of a disconnected client to another subscriber', async () => {
      const other = await connectClient(broker);
      const leaving = client.subscribe('/queue/a', { ackMode: 'client-individual' }).consumer;
      const staying = other.subscribe('/queue/a', { ackMode: 'client-individual' }).consumer;
      await send('/queue/a', bodies(0, 4), other);
      expect(leaving.bodies).to.deep.equal(['m0', 'm2']);
      client.close();
      expect(staying.bodies).to.deep.equal(['m1', 'm3', 'm0', 'm2']);
      expect(staying.deliveries.slice(2).every((d) => d.redelivered && d.deliveryCount === 2)).to.equal(true);
      expect(stats('/queue/a')).to.include({ subscribers: 1, unacked: 4, depth: 0 });
    });

    it('holds the messages of a disconnected client when nobody else is subscribed, for the next subscriber', async () => {
      client.subscribe('/queue/a', { ackMode: 'client' });
      await send('/queue/a', bodies(0, 3));
      client.close();
      expect(stats('/queue/a')).to.include({ depth: 3, subscribers: 0 });
      const other = await connectClient(broker);
      const next = other.subscribe('/queue/a').consumer;
      expect(next.bodies).to.deep.equal(bodies(0, 3));
      expect(next.deliveries.every((d) => d.redelivered && d.deliveryCount === 2)).to.equal(true);
    });

    it('counts every delivery of a message that keeps coming back', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual' });
      await send('/queue/a', ['poison']);
      for (let i = 0; i < 4; i++) client.session.nack(subscription, consumer.last!.tag);
      expect(consumer.deliveries.map((d) => d.deliveryCount)).to.deep.equal([1, 2, 3, 4, 5]);
    });
  });

  describe('prefetch', () => {
    it('limits unacknowledged deliveries to the prefetch window; an ack opens it again', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual', prefetch: 2 });
      await send('/queue/a', bodies(0, 5));
      expect(consumer.bodies).to.deep.equal(['m0', 'm1']);
      expect(stats('/queue/a')).to.include({ unacked: 2, depth: 3 });
      client.session.ack(subscription, tagOf(consumer, 'm1'));
      expect(consumer.bodies).to.deep.equal(['m0', 'm1', 'm2']);
    });

    it('opens a client-mode window by as many as one cumulative ack covers', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client', prefetch: 3 });
      await send('/queue/a', bodies(0, 10));
      client.session.ack(subscription, tagOf(consumer, 'm1'));
      expect(consumer.bodies).to.deep.equal(bodies(0, 5));
    });

    it('gives the first subscriber held messages as its window allows and shares the rest round-robin with a later one', async () => {
      await send('/queue/a', bodies(0, 10));
      const a = client.subscribe('/queue/a', { id: 'a', ackMode: 'client-individual', prefetch: 3 });
      expect(a.consumer.bodies).to.deep.equal(['m0', 'm1', 'm2']);
      expect(stats('/queue/a').depth).to.equal(7);
      const b = client.subscribe('/queue/a', { id: 'b', ackMode: 'client-individual', prefetch: 3 });
      expect(b.consumer.bodies).to.deep.equal(['m3', 'm4', 'm5']);
      const ackOldest = (s: { consumer: RecordingConsumer; subscription: Subscription }, body: string): void => {
        void client.session.ack(s.subscription, tagOf(s.consumer, body));
      };
      ackOldest(a, 'm0');
      ackOldest(b, 'm3');
      ackOldest(a, 'm1');
      ackOldest(b, 'm4');
      expect(a.consumer.bodies).to.deep.equal(['m0', 'm1', 'm2', 'm6', 'm8']);
      expect(b.consumer.bodies).to.deep.equal(['m3', 'm4', 'm5', 'm7', 'm9']);
      expect(stats('/queue/a')).to.include({ depth: 0, unacked: 6, delivered: 10 });
    });
  });

  describe('limits', () => {
    it('refuses a send past maxLength with OVERFLOW naming the queue and the limit', async () => {
      await send('/queue/bounded/a', bodies(0, 3));
      const err = await expectWharfError(() => client.send('/queue/bounded/a', 'm3'), ErrorCodes.OVERFLOW);
      expect(err.message).to.contain('/queue/bounded/a').and.contain('maxLength').and.contain('3');
      expect(err.hint).to.match(/drop-head/);
      expect(stats('/queue/bounded/a')).to.include({ depth: 3, enqueued: 3, dropped: 0 });
      const { consumer } = client.subscribe('/queue/bounded/a');
      expect(consumer.bodies).to.deep.equal(bodies(0, 3));
      await send('/queue/bounded/a', ['m4']);
      expect(consumer.last && text(consumer.last)).to.equal('m4');
    });

    it('counts only held messages against maxLength, not those delivered and unacknowledged', async () => {
      client.subscribe('/queue/bounded/b', { ackMode: 'client-individual', prefetch: 2 });
      await send('/queue/bounded/b', bodies(0, 5));
      expect(stats('/queue/bounded/b')).to.include({ unacked: 2, depth: 3 });
      await expectWharfError(() => client.send('/queue/bounded/b', 'm5'), ErrorCodes.OVERFLOW);
    });

    it('refuses a send past maxBytes with OVERFLOW', async () => {
      const body = (c: string): string => c.repeat(40);
      await send('/queue/bounded-bytes/a', [body('a'), body('b')]);
      const err = await expectWharfError(() => client.send('/queue/bounded-bytes/a', body('c')), ErrorCodes.OVERFLOW);
      expect(err.message).to.contain('/queue/bounded-bytes/a').and.contain('maxBytes');
      const huge = await expectWharfError(() => client.send('/queue/bounded-bytes/b', 'x'.repeat(200)), ErrorCodes.OVERFLOW);
      expect(huge.message).to.contain('200 bytes');
    });

    it('drops the oldest held message past maxLength with drop-head, and counts it', async () => {
      await send('/queue/lossy/a', bodies(0, 5));
      expect(stats('/queue/lossy/a')).to.include({ depth: 3, dropped: 2, enqueued: 5 });
      expect(client.subscribe('/queue/lossy/a').consumer.bodies).to.deep.equal(['m2', 'm3', 'm4']);
    });

    it('drops the oldest held messages past maxBytes with drop-head', async () => {
      const body = (c: string): string => c.repeat(40);
      await send('/queue/lossy-bytes/a', [body('a'), body('b'), body('c')]);
      expect(stats('/queue/lossy-bytes/a')).to.include({ depth: 2, dropped: 1 });
      expect(client.subscribe('/queue/lossy-bytes/a').consumer.bodies).to.deep.equal([body('b'), body('c')]);
    });

    it('pauses its producers past highWaterMarkBytes, accepting every message, until it is back under 80% of it', async () => {
      const hundred = (i: number): string => String(i).padStart(100, 'x');
      await send('/queue/hwm/a', Array.from({ length: 9 }, (_, i) => hundred(i)));
      expect(broker.mqm.pausedSessions, '900 bytes held').to.equal(0);
      await send('/queue/hwm/a', [hundred(9)]);
      expect(stats('/queue/hwm/a').depth, 'the message that reached the mark is accepted').to.equal(10);
      expect(broker.mqm.pausedSessions, '1000 bytes held: the sender is paused').to.equal(1);
      const other = await connectClient(broker);
      await send('/queue/other', ['m'], other);
      expect(broker.mqm.pausedSessions, 'a sender to another destination is not').to.equal(1);
      const { consumer, subscription } = other.subscribe('/queue/hwm/a', { ackMode: 'client-individual', prefetch: 1 });
      expect(broker.mqm.pausedSessions, '900 bytes: still over 80%').to.equal(1);
      other.session.ack(subscription, consumer.deliveries[0]!.tag);
      expect(stats('/queue/hwm/a').depth).to.equal(8);
      expect(broker.mqm.pausedSessions, '800 bytes: resumed').to.equal(0);
    });

    it('reports the bytes it holds to the broker\'s memory accounting', async () => {
      const before = broker.flow.held;
      await send('/queue/a', ['x'.repeat(1000), 'y'.repeat(1000)]);
      const held = broker.flow.held - before;
      expect(held).to.be.at.least(2000);
      const { consumer } = client.subscribe('/queue/a');
      expect(consumer.bodies).to.have.length(2);
      expect(broker.flow.held).to.equal(before);
    });

    it('refuses invalid settings in a routing rule when the broker is created', async () => {
      const err = await expectWharfError(
        () => startTestBroker({ plugins: [queuePlugin], routing: { ...routing, rules: [{ match: '^/q/', type: 'queue', options: { overflow: 'block' } }] } }),
        ErrorCodes.CONFIG,
      );
      expect(err.message).to.match(/overflow/);
    });
  });

  describe('purge', () => {
    it('drops held messages, not the unacknowledged ones in flight, and returns how many', async () => {
      const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual', prefetch: 1 });
      await send('/queue/a', bodies(0, 5));
      expect(broker.mqm.purgeDestination('/queue/a')).to.equal(4);
      expect(stats('/queue/a')).to.include({ depth: 0, unacked: 1 });
      client.session.nack(subscription, tagOf(consumer, 'm0'));
      expect(consumer.bodies).to.deep.equal(['m0', 'm0']);
      expect(broker.mqm.purgeDestination('/queue/a')).to.equal(0);
    });
  });

  describe('consumers that act from inside deliver()', () => {
    it('keeps going when a consumer acks each delivery from inside deliver()', async () => {
      const consumer = new ReactingConsumer(client.session, { ackMode: 'client-individual', prefetch: 1, capacity: 0 });
      const subscription = client.session.subscribe('/queue/a', consumer);
      consumer.react = (d) => client.session.ack(subscription, d.tag);
      await send('/queue/a', bodies(0, 10_000));
      expect(consumer.bodies).to.deep.equal(['m0']);
      expect(stats('/queue/a')).to.include({ unacked: 0, depth: 9_999 });
      // The held backlog goes out through one loop, not one stack frame per message.
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(consumer.bodies).to.deep.equal(bodies(0, 10_000));
      expect(stats('/queue/a')).to.include({ unacked: 0, depth: 0 });
    });

    it('gives back the message a consumer was handed when it unsubscribes from inside deliver()', async () => {
      await send('/queue/a', bodies(0, 5));
      const leaver = new ReactingConsumer(client.session, { id: 'leaver', ackMode: 'client-individual' });
      let subscription: Subscription | undefined;
      leaver.react = () => {
        if (subscription) client.session.unsubscribe(subscription);
      };
      // The first delivery happens inside subscribe(), before the subscription is known: it stays.
      leaver.capacity = 0;
      subscription = client.session.subscribe('/queue/a', leaver);
      expect(leaver.bodies).to.deep.equal(['m0']);
      expect(stats('/queue/a')).to.include({ depth: 4, subscribers: 1 });
      leaver.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(leaver.bodies).to.deep.equal(['m0', 'm1']);
      expect(stats('/queue/a')).to.include({ depth: 5, subscribers: 0 });
      const next = client.subscribe('/queue/a').consumer;
      expect(next.bodies).to.deep.equal(bodies(0, 5));
      expect(next.deliveries.map((d) => d.redelivered)).to.deep.equal([true, true, false, false, false]);
    });

    it('redelivers at once when a consumer NACKs from inside deliver()', async () => {
      const consumer = new ReactingConsumer(client.session, { ackMode: 'client-individual' });
      const subscription = client.session.subscribe('/queue/a', consumer);
      consumer.react = (d) => {
        if (!d.redelivered) client.session.nack(subscription, d.tag);
      };
      await send('/queue/a', ['m0', 'm1']);
      expect(consumer.bodies).to.deep.equal(['m0', 'm0', 'm1', 'm1']);
      expect(stats('/queue/a')).to.include({ unacked: 2, depth: 0 });
    });
  });
});
