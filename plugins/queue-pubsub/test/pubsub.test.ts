/**
 * The pubsub rules of issue 3: every message is copied into each child, which distributes it by its
 * own rules; children come from the config and may change at any time (later messages only); no
 * children drops and counts; subscribers are refused with the children named; cycles are refused.
 */
import { expect } from 'chai';
import {
  Broker, ConfigError, definePlugin, ErrorCodes, WharfError,
  type Destination, type Message, type QueueType,
} from '@wharf/core';
import { connectClient, expectWharfError, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import queuePlugin from '@wharf/queue-queue';
import topicPlugin from '@wharf/queue-topic';
import pubsubPlugin, { PubsubDestination } from '../src/index.js';

const childTypePlugins = [topicPlugin, queuePlugin];
const routing = { prefixes: { '/queue/': 'queue', '/pubsub/': 'pubsub' }, fallback: 'topic' };

function start(extra: Record<string, unknown> = {}, plugins: unknown[] = []): Promise<Broker> {
  return startTestBroker({ plugins: [...childTypePlugins, pubsubPlugin, ...plugins] as never, routing, ...extra });
}

describe('queue-pubsub', () => {
  let broker: Broker;
  let client: TestClient;

  afterEach(async () => {
    await broker?.stop();
  });

  describe('copying', () => {
    beforeEach(async () => {
      broker = await start({ pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/shipping'] } } });
      client = await connectClient(broker);
    });

    it('creates the pubsub and its queue children from the config at start', () => {
      const list = broker.mqm.listDestinations();
      expect(list.find((d) => d.name === '/pubsub/orders')).to.deep.include({ type: 'pubsub', subscribers: 0, depth: 0 });
      expect(list.find((d) => d.name === '/pubsub/orders')!.children).to.deep.equal(['/queue/billing', '/queue/shipping']);
      expect(list.map((d) => d.name)).to.include.members(['/queue/billing', '/queue/shipping']);
    });

    it('copies every message into each child queue, which holds it for a later subscriber', async () => {
      await client.send('/pubsub/orders', 'order-1', { 'content-type': 'text/plain' });
      await client.send('/pubsub/orders', 'order-2');
      expect(broker.mqm.destinationStats('/queue/billing').depth).to.equal(2);
      const billing = client.subscribe('/queue/billing').consumer;
      const shipping = client.subscribe('/queue/shipping').consumer;
      expect(billing.bodies).to.deep.equal(['order-1', 'order-2']);
      expect(shipping.bodies).to.deep.equal(['order-1', 'order-2']);
      // One message, two copies: same id, same bytes, the pubsub named as the destination sent to.
      const [a, b] = [billing.deliveries[0]!.message, shipping.deliveries[0]!.message];
      expect(a.id).to.equal(b.id);
      expect(a.body).to.equal(b.body);
      expect(a.destination).to.equal('/pubsub/orders');
      expect(a.headers).to.deep.equal({ 'content-type': 'text/plain' });
      expect(broker.mqm.destinationStats('/pubsub/orders')).to.include({ enqueued: 2, delivered: 4, dropped: 0, subscribers: 0, depth: 0 });
    });

    it('each child distributes by its own rules: a topic child fans out to its current subscribers only', async () => {
      broker.mqm.addChild('/pubsub/orders', '/audit/orders');
      // No subscriber yet: the topic does not exist, so its copy is dropped and nothing is created.
      await client.send('/pubsub/orders', 'before');
      expect(broker.mqm.lookup('/audit/orders')).to.equal(undefined);
      const one = client.subscribe('/audit/orders').consumer;
      const other = (await connectClient(broker)).subscribe('/audit/orders').consumer;
      await client.send('/pubsub/orders', 'after');
      expect(one.bodies).to.deep.equal(['after']);
      expect(other.bodies).to.deep.equal(['after']);
      expect(client.subscribe('/queue/billing').consumer.bodies).to.deep.equal(['before', 'after']);
    });

    it('applies an added child to later messages only', async () => {
      await client.send('/pubsub/orders', 'm1');
      broker.mqm.addChild('/pubsub/orders', '/queue/audit');
      expect(broker.mqm.lookup('/queue/audit'), 'a queue child exists as soon as it is added').to.not.equal(undefined);
      await client.send('/pubsub/orders', 'm2');
      expect(client.subscribe('/queue/audit').consumer.bodies).to.deep.equal(['m2']);
      expect(client.subscribe('/queue/billing').consumer.bodies).to.deep.equal(['m1', 'm2']);
    });

    it('stops copying to a removed child, from the next message on', async () => {
      await client.send('/pubsub/orders', 'm1');
      expect(broker.mqm.removeChild('/pubsub/orders', '/queue/shipping')).to.equal(true);
      expect(broker.mqm.removeChild('/pubsub/orders', '/queue/shipping')).to.equal(false);
      await client.send('/pubsub/orders', 'm2');
      expect(client.subscribe('/queue/shipping').consumer.bodies).to.deep.equal(['m1']);
      expect(client.subscribe('/queue/billing').consumer.bodies).to.deep.equal(['m1', 'm2']);
      expect((broker.mqm.lookup('/pubsub/orders') as PubsubDestination).children()).to.deep.equal(['/queue/billing']);
    });

    it('refuses subscribers with an error naming its children', async () => {
      const err = await expectWharfError(() => client.subscribe('/pubsub/orders'), ErrorCodes.NOT_SUBSCRIBABLE);
      expect(err.message).to.equal(
        'clients may not subscribe to pubsub /pubsub/orders; subscribe to one of its children: /queue/billing, /queue/shipping');
      expect(err.details).to.deep.include({ children: ['/queue/billing', '/queue/shipping'] });
      expect(broker.mqm.destinationStats('/pubsub/orders').subscribers).to.equal(0);
    });

    it('copies through nested pubsubs', async () => {
      broker.mqm.addChild('/pubsub/all', '/pubsub/orders');
      broker.mqm.addChild('/pubsub/all', '/queue/everything');
      await client.send('/pubsub/all', 'nested');
      for (const queue of ['/queue/billing', '/queue/shipping', '/queue/everything']) {
        expect(client.subscribe(queue).consumer.bodies, queue).to.deep.equal(['nested']);
      }
    });
  });

  describe('without children', () => {
    beforeEach(async () => {
      broker = await start();
      client = await connectClient(broker);
    });

    it('drops the message and counts it', async () => {
      await client.send('/pubsub/empty', 'lost');
      await client.send('/pubsub/empty', 'lost too');
      expect(broker.mqm.destinationStats('/pubsub/empty')).to.include({ enqueued: 2, delivered: 0, dropped: 2 });
    });

    it('says it has no children when a client subscribes', async () => {
      broker.mqm.createDestination('/pubsub/empty');
      const err = await expectWharfError(() => client.subscribe('/pubsub/empty'), ErrorCodes.NOT_SUBSCRIBABLE);
      expect(err.message).to.contain('/pubsub/empty').and.contain('no children');
      expect(err.hint).to.contain('add-child');
    });

    it('holds nothing to purge', () => {
      expect(broker.mqm.purgeDestination(broker.mqm.createDestination('/pubsub/empty').name)).to.equal(0);
    });
  });

  describe('cycles', () => {
    beforeEach(async () => {
      broker = await start();
      client = await connectClient(broker);
    });

    it('refuses a pubsub as its own child', async () => {
      const err = await expectWharfError(() => broker.mqm.addChild('/pubsub/a', '/pubsub/a'), ErrorCodes.CYCLE);
      expect(err.message).to.contain('/pubsub/a');
    });

    it('refuses a -> b -> a, and a longer ring', async () => {
      broker.mqm.addChild('/pubsub/a', '/pubsub/b');
      await expectWharfError(() => broker.mqm.addChild('/pubsub/b', '/pubsub/a'), ErrorCodes.CYCLE);
      broker.mqm.addChild('/pubsub/b', '/pubsub/c');
      const err = await expectWharfError(() => broker.mqm.addChild('/pubsub/c', '/pubsub/a'), ErrorCodes.CYCLE);
      expect(err.message).to.contain('/pubsub/c').and.contain('/pubsub/a');
      expect((broker.mqm.lookup('/pubsub/c') as PubsubDestination).children()).to.deep.equal([]);
      // Nothing changed: a message still flows a -> b -> c once.
      broker.mqm.addChild('/pubsub/c', '/queue/end');
      await client.send('/pubsub/a', 'once');
      expect(client.subscribe('/queue/end').consumer.bodies).to.deep.equal(['once']);
    });

    it('allows the same child through two paths (a diamond is no cycle)', async () => {
      broker.mqm.addChild('/pubsub/top', '/pubsub/left');
      broker.mqm.addChild('/pubsub/top', '/pubsub/right');
      broker.mqm.addChild('/pubsub/left', '/queue/bottom');
      broker.mqm.addChild('/pubsub/right', '/queue/bottom');
      await client.send('/pubsub/top', 'twice');
      expect(client.subscribe('/queue/bottom').consumer.bodies).to.deep.equal(['twice', 'twice']);
    });

    it('stops a message that comes back round through children a routing rule gave', async () => {
      await broker.stop();
      broker = await start({
        routing: {
          ...routing,
          rules: [
            { match: '^/ring/a$', type: 'pubsub', options: { children: ['/ring/b', '/queue/ring-out'] } },
            { match: '^/ring/b$', type: 'pubsub', options: { children: ['/ring/a'] } },
          ],
        },
      });
      client = await connectClient(broker);
      const err = await expectWharfError(() => client.send('/ring/a', 'round'), ErrorCodes.CYCLE);
      expect(err.message).to.contain('came back to pubsub /ring/a');
      // The child outside the ring still got its copy.
      expect(client.subscribe('/queue/ring-out').consumer.bodies).to.deep.equal(['round']);
    });
  });

  describe('settings', () => {
    it("takes initial children from a routing rule's options", async () => {
      broker = await start({
        routing: { ...routing, rules: [{ match: '^/fanout/', type: 'pubsub', options: { children: ['/queue/f1', '/queue/f2'] } }] },
      });
      client = await connectClient(broker);
      await client.send('/fanout/x', 'hello');
      expect(broker.mqm.listDestinations().find((d) => d.name === '/fanout/x')!.children).to.deep.equal(['/queue/f1', '/queue/f2']);
      expect(client.subscribe('/queue/f1').consumer.bodies).to.deep.equal(['hello']);
      expect(client.subscribe('/queue/f2').consumer.bodies).to.deep.equal(['hello']);
    });

    it('refuses settings that do not fit its schema, at start', async () => {
      const err = await Broker.create({
        plugins: [...childTypePlugins, pubsubPlugin] as never,
        routing: { ...routing, rules: [{ match: '^/fanout/', type: 'pubsub', options: { children: '/queue/f1', colour: 'red' } }] },
      }).then(() => undefined, (e: unknown) => e);
      expect(err).to.be.instanceOf(ConfigError);
      expect(String((err as Error).message)).to.contain('children').and.contain('colour');
    });

    it('refuses a rule that makes a pubsub its own child', async () => {
      broker = await start({ routing: { ...routing, rules: [{ match: '^/self$', type: 'pubsub', options: { children: ['/self'] } }] } });
      client = await connectClient(broker);
      await expectWharfError(() => client.send('/self', 'x'), ErrorCodes.CYCLE);
      expect(broker.mqm.lookup('/self')).to.equal(undefined);
    });
  });

  describe('children that accept asynchronously or refuse', () => {
    /** A child type whose acceptance waits (like a durable queue), or refuses when its name says so. */
    const received: string[] = [];
    const slowType: QueueType = {
      type: 'slow',
      create: (name): Destination => ({
        name, type: 'slow',
        publish: (message: Message) => {
          if (name.includes('refuse')) throw new WharfError(ErrorCodes.OVERFLOW, `${name} is full`);
          if (name.includes('fail')) return Promise.reject(new WharfError(ErrorCodes.STORE, `${name} could not store it`));
          return new Promise<void>((resolve) => setTimeout(() => { received.push(`${name}:${message.id}`); resolve(); }, 5));
        },
        attach: () => { throw new Error('unused'); },
        purge: () => 0,
        stats: () => ({ subscribers: 0, depth: 0, unacked: 0, enqueued: 0, delivered: 0, dropped: 0 }),
        close: () => undefined,
      }),
    };
    const slowPlugin = definePlugin({ kind: 'queue-type', name: 'slow', core: '^0.1.0' }, (ctx) => ctx.queueType(slowType));

    beforeEach(async () => {
      received.length = 0;
      broker = await start({ routing: { ...routing, rules: [{ match: '^/slow/', type: 'slow' }] } }, [slowPlugin]);
      client = await connectClient(broker);
    });

    it('returns a promise that settles once every child accepted', async () => {
      broker.mqm.addChild('/pubsub/p', '/slow/1');
      broker.mqm.addChild('/pubsub/p', '/queue/fast');
      const accepted = client.send('/pubsub/p', 'x');
      expect(accepted).to.be.instanceOf(Promise);
      expect(received).to.deep.equal([]);
      await accepted;
      expect(received).to.have.length(1);
    });

    it('returns nothing to wait for when every child accepts at once', () => {
      broker.mqm.addChild('/pubsub/p', '/queue/fast');
      expect(client.send('/pubsub/p', 'x')).to.equal(undefined);
    });

    it('copies to the other children and tells the sender when one refuses', async () => {
      broker.mqm.addChild('/pubsub/p', '/slow/refuse');
      broker.mqm.addChild('/pubsub/p', '/queue/fast');
      const err = await expectWharfError(() => client.send('/pubsub/p', 'x'), ErrorCodes.OVERFLOW);
      expect(err.message).to.contain('/pubsub/p').and.contain('/slow/refuse is full');
      expect(client.subscribe('/queue/fast').consumer.bodies).to.deep.equal(['x']);
    });

    it('rejects when a child fails later', async () => {
      broker.mqm.addChild('/pubsub/p', '/slow/fail');
      broker.mqm.addChild('/pubsub/p', '/slow/ok');
      const err = await expectWharfError(() => client.send('/pubsub/p', 'x'), ErrorCodes.STORE);
      expect(err.message).to.contain('the copy to /slow/fail was refused');
      await settle();
    });
  });
});
