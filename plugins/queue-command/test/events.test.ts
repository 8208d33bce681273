/**
 * /command/events: a JSON MESSAGE per broker event to every subscriber, from the moment it
 * attached; bounded buffering for subscribers that do not keep up.
 */
import { expect } from 'chai';
import { ErrorCodes, type Broker, type BrokerEvent } from '@wharf/core';
import { expectWharfError, type RecordingConsumer, type TestClient } from '@wharf/testkit';
import { CommandClient, connectAs, startBroker } from './helpers/broker.js';

type EventBody = BrokerEvent & { timestamp: number };

function eventsOf(consumer: RecordingConsumer): EventBody[] {
  return consumer.bodies.map((body) => JSON.parse(body) as EventBody);
}

describe('queue-command /command/events', () => {
  let broker: Broker;
  let admin: TestClient;

  afterEach(() => broker.stop());

  describe('events', () => {
    beforeEach(async () => {
      broker = await startBroker();
      admin = await connectAs(broker, 'admin');
    });

    it('delivers a JSON message for every kind of event', async () => {
      const { consumer } = admin.subscribe('/command/events');
      const commands = new CommandClient(admin, '/queue/replies');

      const user = await connectAs(broker, 'user');
      const { subscription } = user.subscribe('/queue/jobs');
      user.session.unsubscribe(subscription);
      await commands.run('add-child', { pubsub: '/pubsub/p', child: '/queue/c' });
      await commands.run('remove-child', { pubsub: '/pubsub/p', child: '/queue/c' });
      await commands.run('delete-queue', { name: '/queue/jobs' });
      user.close();

      const events = eventsOf(consumer);
      const userId = user.session.id;
      const expected: BrokerEvent[] = [
        { type: 'subscribed', session: admin.session.id, destination: '/command/events', subscription: consumer.id },
        { type: 'destination.created', destination: '/queue/replies', queueType: 'queue' },
        { type: 'subscribed', session: admin.session.id, destination: '/queue/replies', subscription: commands.replies.id },
        { type: 'client.connected', session: userId, user: 'user', protocol: 'test', remoteAddress: '127.0.0.1' },
        { type: 'destination.created', destination: '/queue/jobs', queueType: 'queue' },
        { type: 'subscribed', session: userId, destination: '/queue/jobs', subscription: user.consumers[0]!.id },
        { type: 'unsubscribed', session: userId, destination: '/queue/jobs', subscription: user.consumers[0]!.id },
        { type: 'destination.created', destination: '/command/add-child', queueType: 'command' },
        { type: 'destination.created', destination: '/pubsub/p', queueType: 'pubsub' },
        { type: 'destination.created', destination: '/queue/c', queueType: 'queue' },
        { type: 'child.added', pubsub: '/pubsub/p', child: '/queue/c' },
        { type: 'destination.created', destination: '/command/remove-child', queueType: 'command' },
        { type: 'child.removed', pubsub: '/pubsub/p', child: '/queue/c' },
        { type: 'destination.created', destination: '/command/delete-queue', queueType: 'command' },
        { type: 'destination.deleted', destination: '/queue/jobs', queueType: 'queue' },
        { type: 'client.disconnected', session: userId, user: 'user', reason: 'test client closed' },
      ];
      expect(events.map(({ timestamp: _t, ...event }) => event)).to.deep.equal(expected);
      for (const event of events) expect(event.timestamp).to.be.a('number').within(Date.now() - 10_000, Date.now());
    });

    it('sends JSON messages with a content-type and the event type as headers, one message id per event', async () => {
      const first = admin.subscribe('/command/events').consumer;
      const second = (await connectAs(broker, 'admin')).subscribe('/command/events').consumer;
      broker.mqm.createDestination('/queue/x');
      const [a, b] = [first.last!.message, second.last!.message];
      expect(a.headers).to.deep.equal({ 'content-type': 'application/json', 'event-type': 'destination.created' });
      expect(a.destination).to.equal('/command/events');
      expect(a.id).to.equal(b.id);
    });

    it('sends nothing a subscriber missed before it attached', async () => {
      broker.mqm.createDestination('/queue/early');
      const { consumer } = admin.subscribe('/command/events');
      expect(eventsOf(consumer).map((e) => e.type)).to.deep.equal(['subscribed']);
    });

    it('stops listening to the broker when its last subscriber leaves', async () => {
      const one = admin.subscribe('/command/events');
      const other = admin.subscribe('/command/events', { id: 'second' });
      expect(broker.mqm.events.hasListeners).to.equal(true);
      admin.session.unsubscribe(one.subscription);
      expect(broker.mqm.events.hasListeners).to.equal(true);
      admin.session.unsubscribe(other.subscription);
      expect(broker.mqm.events.hasListeners).to.equal(false);
      expect(broker.mqm.destinationStats('/command/events').subscribers).to.equal(0);
    });

    it('stops listening when its subscriber disconnects', async () => {
      const watcher = await connectAs(broker, 'admin');
      watcher.subscribe('/command/events');
      watcher.close();
      expect(broker.mqm.events.hasListeners).to.equal(false);
    });

    it('cancels its subscribers when /command/events is deleted', async () => {
      const { consumer } = admin.subscribe('/command/events');
      expect(broker.mqm.deleteDestination('/command/events')).to.equal(true);
      expect(consumer.cancelled?.code).to.equal(ErrorCodes.NOT_FOUND);
      expect(broker.mqm.events.hasListeners).to.equal(false);
    });

    it('holds events while a subscriber is full and sends them, in order, on resume', async () => {
      const { consumer, subscription } = admin.subscribe('/command/events', { capacity: 1 });
      // The `subscribed` event filled it.
      for (const n of [1, 2, 3]) broker.mqm.createDestination(`/queue/q${n}`);
      expect(consumer.deliveries).to.have.length(1);
      expect(broker.mqm.destinationStats('/command/events')).to.include({ depth: 3 });
      consumer.capacity = Number.POSITIVE_INFINITY;
      subscription.resume();
      expect(eventsOf(consumer).slice(1).map((e) => (e as { destination: string }).destination))
        .to.deep.equal(['/queue/q1', '/queue/q2', '/queue/q3']);
      expect(consumer.deliveries.map((d) => d.tag)).to.deep.equal([1, 2, 3, 4]);
      expect(broker.mqm.destinationStats('/command/events')).to.include({ depth: 0, delivered: 4 });
    });

    it('respects a client-ack prefetch window', async () => {
      const { consumer, subscription } = admin.subscribe('/command/events', { ackMode: 'client-individual', prefetch: 2 });
      for (const n of [1, 2, 3]) broker.mqm.createDestination(`/queue/w${n}`);
      expect(consumer.deliveries).to.have.length(2);
      expect(broker.mqm.destinationStats('/command/events')).to.include({ unacked: 2, depth: 2 });
      admin.session.ack(subscription, 2);
      expect(consumer.deliveries).to.have.length(3);
      admin.session.nack(subscription, 1);
      expect(consumer.deliveries).to.have.length(4);
      await expectWharfError(() => admin.session.ack(subscription, 99), ErrorCodes.UNKNOWN_SUBSCRIPTION);
    });
  });

  describe('a subscriber that falls too far behind', () => {
    beforeEach(async () => {
      broker = await startBroker({
        routing: { rules: [{ match: '^/command/events$', type: 'command', options: { eventBufferLimit: 3 } }] },
      });
      admin = await connectAs(broker, 'admin');
    });

    it('is cancelled with LIMIT once its buffer is full; the others keep receiving', async () => {
      const slow = admin.subscribe('/command/events', { capacity: 1 }).consumer;
      const fast = admin.subscribe('/command/events', { id: 'fast' }).consumer;
      for (const n of [1, 2, 3, 4, 5]) broker.mqm.createDestination(`/queue/b${n}`);
      expect(slow.cancelled?.code).to.equal(ErrorCodes.LIMIT);
      expect(slow.cancelled?.message).to.contain('3 events behind');
      expect(slow.cancelled?.hint).to.contain('eventBufferLimit');
      expect(fast.deliveries.length).to.be.greaterThan(5);
      expect(broker.mqm.destinationStats('/command/events')).to.include({ subscribers: 1 });
      expect(broker.mqm.destinationStats('/command/events').dropped).to.be.greaterThan(0);
    });
  });
});
