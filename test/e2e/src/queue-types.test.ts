/**
 * The rules of the four queue types (issue 3), end to end: a real broker, real sockets, and
 * @stomp/stompjs as the client. Security is on (a tiny inline plugin): `admin` has every right,
 * any other login may create, read and write but not run commands.
 */
import { expect } from 'chai';
import type { IMessage } from '@stomp/stompjs';
import { ALL_RIGHTS, definePlugin, type PluginEntry, type Right } from '@wharf/core';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, json, stompOverTcp, unique, waitFor, type Collected, type StompClient } from './helpers.js';

const EVERY_RIGHT: ReadonlySet<Right> = new Set(ALL_RIGHTS);
const USER_RIGHTS: ReadonlySet<Right> = new Set<Right>(['create', 'read', 'write']);

/** Anyone who gives a login is that user; `admin` may do everything, others all but commands. */
const inlineSecurity = definePlugin({ kind: 'security', name: 'e2e-inline-security', core: '>=0.1.0' }, (ctx) => {
  ctx.authenticator({
    name: 'login-is-name',
    authenticate: (c) => (c.login ? { principal: { name: c.login, groups: [], anonymous: false } } : { rejected: true }),
  });
  ctx.authorizer({
    name: 'admin-or-user',
    rights: (principal) => (principal.name === 'admin' ? EVERY_RIGHT : USER_RIGHTS),
  });
});

const VERBS = ['create-queue', 'delete-queue', 'empty-queue', 'add-child', 'remove-child', 'list', 'stats', 'sessions', 'disconnect'];

describe('e2e: queue types over STOMP (@stomp/stompjs over TCP)', function () {
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => {
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS, inlineSecurity as unknown as PluginEntry],
      pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/shipping'] } },
      routing: {
        rules: [
          { match: '^/topic/slow-', type: 'topic', options: { maxPendingMessages: 5 } },
          { match: '^/topic/lossy-', type: 'topic', options: { maxPendingMessages: 5, slowSubscriberPolicy: 'drop-oldest' } },
          { match: '^/topic/blocking-', type: 'topic', options: { maxPendingMessages: 20, slowSubscriberPolicy: 'block' } },
          { match: '^/queue/capped-', type: 'queue', options: { maxLength: 2 } },
          { match: '^/queue/rolling-', type: 'queue', options: { maxLength: 2, overflow: 'drop-head' } },
          { match: '^/queue/auto-', type: 'queue', options: { autoDelete: true } },
        ],
      },
    }, { writeHighWaterMark: 64 * 1024 });
  });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  const connect = (login = 'admin'): Promise<StompClient> =>
    stompOverTcp(e2e.tcpPort, { connectHeaders: { login, passcode: 'secret' } }, clients);
  const stats = (name: string) => e2e.broker.mqm.destinationStats(name);

  async function sendAll(producer: StompClient, destination: string, bodies: string[]): Promise<void> {
    for (const body of bodies.slice(0, -1)) producer.client.publish({ destination, body });
    await producer.publishConfirmed(destination, bodies[bodies.length - 1]!);
  }

  /** The topic tests' bodies are `<sequence number>:<padding>`: the numbers, in arrival order. */
  const sequenceNumbers = (bodies: readonly string[]): number[] => bodies.map((b) => Number(b.slice(0, b.indexOf(':'))));

  /** The slow subscriber of the topic tests: a raw socket that subscribes to `topic`, then stops reading. */
  async function subscribeThenStopReading(topic: string): Promise<RawConnection> {
    const slow = await RawConnection.open(e2e.tcpPort, clients);
    slow.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'bob', passcode: 'x' }));
    await slow.waitFrame('CONNECTED');
    slow.write(frame('SUBSCRIBE', { id: 'slow', destination: topic, receipt: 'subscribed' }));
    await slow.waitFrame('RECEIPT');
    slow.socket.pause();
    return slow;
  }

  const range = (n: number, prefix = 'm'): string[] => [...Array(n).keys()].map((i) => `${prefix}${i}`);

  describe('security', () => {
    it('refuses a client without credentials with an ERROR, then closes', async () => {
      const error = await stompOverTcp(e2e.tcpPort, {}, clients).then(() => undefined, (err: Error) => err);
      expect(error?.message).to.contain('bad credentials');
    });
  });

  describe('queue', () => {
    it('delivers held messages to the first subscriber, oldest first, and none to a later one', async () => {
      const q = unique('/queue/held');
      await sendAll(await connect('bob'), q, range(100));
      expect(stats(q).depth).to.equal(100);
      const first = await (await connect('bob')).subscribe(q);
      await first.waitCount(100);
      const second = await (await connect('bob')).subscribe(q);
      expect(first.bodies).to.deep.equal(range(100));
      expect(second.messages).to.have.length(0);
      expect(stats(q).depth).to.equal(0);
    });

    it('shares messages round-robin among 3 subscribers, each message exactly once', async () => {
      const q = unique('/queue/rr');
      const subs: Collected[] = [];
      for (let i = 0; i < 3; i++) subs.push(await (await connect('bob')).subscribe(q));
      await sendAll(await connect('bob'), q, range(100));
      await waitFor(() => subs.reduce((n, s) => n + s.messages.length, 0) >= 100, 5000, '100 messages in all');
      const all = subs.flatMap((s) => s.bodies);
      expect([...all].sort()).to.deep.equal([...range(100)].sort());
      expect(new Set(all).size).to.equal(100);
      expect(subs.map((s) => s.messages.length).sort()).to.deep.equal([33, 33, 34]);
      // Each subscriber sees its share in the order they were sent.
      for (const s of subs) expect(s.bodies.map((b) => Number(b.slice(1)))).to.deep.equal([...s.bodies.map((b) => Number(b.slice(1)))].sort((a, b) => a - b));
    });

    it('redelivers a NACKed message, marked redelivered, to another subscriber if one is attached', async () => {
      const q = unique('/queue/nack');
      const aClient = await connect('bob');
      const a = await aClient.subscribe(q, { ack: 'client-individual' });
      const b = await (await connect('bob')).subscribe(q, { ack: 'client-individual' });
      await (await connect('bob')).publishConfirmed(q, 'only');
      await waitFor(() => a.messages.length + b.messages.length === 1, 5000, 'the first delivery');
      const [first, other] = a.messages.length === 1 ? [a, b] : [b, a];
      first.messages[0]!.nack();
      await waitFor(() => a.messages.length + b.messages.length === 2, 5000, 'the redelivery');
      const again = other.messages.length === 1 ? other.messages[0]! : first.messages[1]!;
      expect(other.messages, 'redelivered to the other subscriber').to.have.length(1);
      expect(again.body).to.equal('only');
      expect(again.headers['redelivered']).to.equal('true');
      expect(again.headers['message-id']).to.equal(first.messages[0]!.headers['message-id']);
    });

    it('puts the unacknowledged messages of an unsubscribing subscriber back at the head, for another', async () => {
      const q = unique('/queue/unsub');
      const producer = await connect('bob');
      await sendAll(producer, q, range(3));
      const aClient = await connect('bob');
      // A full window (prefetch 3), so that later messages go to the other subscriber.
      const a = await aClient.subscribe(q, { ack: 'client-individual', 'prefetch-count': '3' });
      await a.waitCount(3);
      const b = await (await connect('bob')).subscribe(q);
      await producer.publishConfirmed(q, 'later');
      await b.waitCount(1);
      expect(b.bodies).to.deep.equal(['later']);
      await aClient.withReceipt((receipt) => aClient.client.unsubscribe(a.id, { receipt }));
      await b.waitCount(4);
      expect(b.bodies).to.deep.equal(['later', 'm0', 'm1', 'm2']);
      expect(b.messages.slice(1).map((m) => m.headers['redelivered'])).to.deep.equal(['true', 'true', 'true']);
    });

    it('redelivers the unacknowledged messages of a client that disconnects', async () => {
      const q = unique('/queue/disc');
      await sendAll(await connect('bob'), q, range(3));
      const aClient = await connect('bob');
      const a = await aClient.subscribe(q, { ack: 'client' });
      await a.waitCount(3);
      a.messages[0]!.ack(); // cumulative: only m0 is settled
      const b = await (await connect('bob')).subscribe(q, { ack: 'client-individual' });
      await aClient.withReceipt((receipt) => aClient.client.publish({ destination: unique('/topic/none'), headers: { receipt } }));
      expect(stats(q).unacked).to.equal(2);
      await aClient.client.deactivate({ force: true }); // the socket just goes away
      await b.waitCount(2);
      expect(b.bodies).to.deep.equal(['m1', 'm2']);
      expect(b.messages.every((m) => m.headers['redelivered'] === 'true')).to.equal(true);
    });

    it('keeps the unacknowledged messages of a disconnecting client when it has a second subscription to the queue', async () => {
      // Found by the fuzz test (seed 33): closing a session detaches its subscriptions one by one, so
      // the first one's unacknowledged message went back to the queue and straight to the second one,
      // on the connection being closed — written after the ERROR/RECEIPT, and lost in auto mode.
      const q = unique('/queue/sibling');
      const client = await connect('bob');
      const a = await client.subscribe(q, { ack: 'client-individual', 'prefetch-count': '1' });
      await (await connect('bob')).publishConfirmed(q, 'keep me');
      await a.waitCount(1);
      const b = await client.subscribe(q); // auto
      expect(stats(q)).to.include({ unacked: 1, depth: 0, subscribers: 2 });
      await client.close(); // DISCONNECT with a receipt, then the close
      await waitFor(() => stats(q).subscribers === 0, 5000, 'both subscriptions to end');
      expect(stats(q), 'the message is held again').to.include({ depth: 1, unacked: 0 });
      expect(b.messages, 'a MESSAGE written to the closing connection').to.have.length(0);
      const next = await (await connect('bob')).subscribe(q);
      await next.waitCount(1);
      expect(next.bodies).to.deep.equal(['keep me']);
      expect(next.messages[0]!.headers['redelivered']).to.equal('true');
    });

    it('fills prefetch windows: the first subscriber takes its window, the rest go to later ones', async () => {
      const q = unique('/queue/prefetch');
      await sendAll(await connect('bob'), q, range(10));
      const aClient = await connect('bob');
      const a = await aClient.subscribe(q, { ack: 'client-individual', 'prefetch-count': '3' });
      await a.waitCount(3);
      expect(stats(q)).to.include({ depth: 7, unacked: 3 });
      expect(a.messages).to.have.length(3);
      const b = await (await connect('bob')).subscribe(q, { ack: 'client-individual', 'prefetch-count': '2' });
      await b.waitCount(2);
      expect(stats(q)).to.include({ depth: 5, unacked: 5 });
      expect(a.bodies).to.deep.equal(['m0', 'm1', 'm2']);
      expect(b.bodies).to.deep.equal(['m3', 'm4']);
      // Acking frees exactly one place in the window.
      await aClient.withReceipt((receipt) => a.messages[0]!.ack({ receipt }));
      await a.waitCount(4);
      expect(a.bodies[3]).to.equal('m5');
      expect(stats(q)).to.include({ depth: 4, unacked: 5 });
      const c = await (await connect('bob')).subscribe(q);
      await c.waitCount(4);
      expect(c.bodies).to.deep.equal(['m6', 'm7', 'm8', 'm9']);
    });
  });

  describe('queue settings from routing rules', () => {
    it('maxLength with overflow reject: the sender of one message too many gets an ERROR', async () => {
      const q = unique('/queue/capped-');
      const producer = await connect('bob');
      await sendAll(producer, q, ['a', 'b']);
      producer.client.publish({ destination: q, body: 'c', headers: { receipt: 'third' } });
      const error = await producer.nextError();
      expect(error.headers['receipt-id']).to.equal('third');
      expect(error.headers['message']).to.be.a('string').and.not.equal('');
      expect(stats(q).depth).to.equal(2);
    });

    it('maxLength with overflow drop-head: the oldest held message makes room', async () => {
      const q = unique('/queue/rolling-');
      await sendAll(await connect('bob'), q, ['a', 'b', 'c', 'd']);
      const sub = await (await connect('bob')).subscribe(q);
      await sub.waitCount(2);
      expect(sub.bodies).to.deep.equal(['c', 'd']);
    });

    it('autoDelete: the queue goes once it is empty and its last subscriber left', async () => {
      const q = unique('/queue/auto-');
      const c = await connect('bob');
      const sub = await c.subscribe(q);
      await c.publishConfirmed(q, 'x');
      await sub.waitCount(1);
      expect(e2e.broker.mqm.lookup(q)).to.not.equal(undefined);
      await c.withReceipt((receipt) => c.client.unsubscribe(sub.id, { receipt }));
      expect(e2e.broker.mqm.lookup(q)).to.equal(undefined);
    });

    it('without autoDelete a queue stays after its last subscriber left', async () => {
      const q = unique('/queue/stays');
      const c = await connect('bob');
      const sub = await c.subscribe(q);
      await c.withReceipt((receipt) => c.client.unsubscribe(sub.id, { receipt }));
      expect(e2e.broker.mqm.lookup(q)).to.not.equal(undefined);
    });
  });

  describe('topic', () => {
    it('exists only while someone subscribes: removed when the last subscriber leaves', async () => {
      const t = unique('/topic/life');
      const aClient = await connect('bob');
      const a = await aClient.subscribe(t);
      const bClient = await connect('bob');
      await bClient.subscribe(t);
      expect(e2e.broker.mqm.lookup(t)).to.not.equal(undefined);
      await aClient.withReceipt((receipt) => aClient.client.unsubscribe(a.id, { receipt }));
      expect(e2e.broker.mqm.lookup(t)).to.not.equal(undefined);
      await bClient.close();
      await waitFor(() => e2e.broker.mqm.lookup(t) === undefined, 5000, 'the topic to be removed');
    });

    it('leaves nothing behind when messages are sent to topics nobody subscribes to', async () => {
      const producer = await connect('bob');
      const names = range(200, unique('/topic/void-'));
      for (const name of names) producer.client.publish({ destination: name, body: 'x' });
      await producer.publishConfirmed(unique('/topic/void-last'), 'x');
      expect(names.filter((n) => e2e.broker.mqm.lookup(n) !== undefined)).to.deep.equal([]);
      expect(e2e.broker.mqm.listDestinations().filter((d) => d.name.includes('/topic/void-'))).to.deep.equal([]);
    });

    it('disconnects a subscriber that stops reading, with an ERROR, while another keeps receiving', async function () {
      this.timeout(30000);
      const t = unique('/topic/slow-');
      const slow = await subscribeThenStopReading(t);
      const fast = await (await connect('bob')).subscribe(t);
      expect(stats(t).subscribers).to.equal(2);
      const producer = await connect('bob');
      const body = 'x'.repeat(16 * 1024);
      let sent = 0;
      // Send until the broker gives up on the slow subscriber (bounded: at most 64 MiB).
      while (stats(t).subscribers === 2 && sent < 4096) {
        for (let i = 0; i < 32; i++) producer.client.publish({ destination: t, body: `${sent++}:${body}` });
        await producer.withReceipt((receipt) => producer.client.publish({ destination: unique('/topic/none'), headers: { receipt } }));
      }
      expect(stats(t).subscribers, `after ${sent} messages`).to.equal(1);
      await fast.waitCount(sent, 20000);
      expect(sequenceNumbers(fast.bodies)).to.deep.equal([...Array(sent).keys()]);
      // Now read what the broker queued for the slow one: its messages, then the ERROR saying why.
      slow.socket.resume();
      const error = await slow.waitFrame('ERROR', 10000);
      expect(error.headers['message']).to.contain('too slow');
      await slow.waitClosed();
      expect(slow.reader.byCommand('MESSAGE').length).to.be.lessThan(sent);
    });

    it('drop-oldest: a subscriber that stops reading loses its oldest pending messages, stays, and the other loses none', async function () {
      this.timeout(30000);
      const t = unique('/topic/lossy-');
      const slow = await subscribeThenStopReading(t);
      const fast = await (await connect('bob')).subscribe(t);
      const producer = await connect('bob');
      const body = 'z'.repeat(16 * 1024);
      let sent = 0;
      while (stats(t).dropped === 0 && sent < 4096) {
        for (let i = 0; i < 32; i++) producer.client.publish({ destination: t, body: `${sent++}:${body}` });
        await producer.publishConfirmed(unique('/topic/none'), '');
      }
      // A few more, so that the slow one's buffer ends with the newest messages.
      for (let i = 0; i < 10; i++) producer.client.publish({ destination: t, body: `${sent++}:${body}` });
      await producer.publishConfirmed(unique('/topic/none'), '');
      expect(stats(t)).to.include({ subscribers: 2 });
      expect(stats(t).dropped).to.be.greaterThan(0);
      await fast.waitCount(sent, 20000);
      expect(sequenceNumbers(fast.bodies)).to.deep.equal([...Array(sent).keys()]);
      slow.socket.resume();
      await waitFor(() => slow.reader.byCommand('MESSAGE').some((m) => m.body.toString().startsWith(`${sent - 1}:`)), 10000, 'the newest message on the slow subscriber');
      const got = sequenceNumbers(slow.reader.byCommand('MESSAGE').map((m) => m.body.toString()));
      expect(got.length).to.be.lessThan(sent);
      expect(got).to.deep.equal([...got].sort((a, b) => a - b)); // gaps, but in order
      expect(slow.reader.byCommand('ERROR')).to.have.length(0);
    });
  });

  describe('topic with slowSubscriberPolicy: block', () => {
    it('a subscriber that stops reading pauses the producer, nobody loses a message, and everything flows again once it reads', async function () {
      this.timeout(40000);
      const t = unique('/topic/blocking-');
      const slow = await subscribeThenStopReading(t);
      const fast = await (await connect('bob')).subscribe(t);
      const producer = await connect('bob');
      const body = 'b'.repeat(16 * 1024);
      let sent = 0;
      // Once the slow subscriber's kernel buffers and its 20 pending messages are full, the broker
      // stops reading the producer: no receipt could come back then, so this polls the broker.
      while (e2e.broker.mqm.pausedSessions === 0 && sent < 4096) {
        for (let i = 0; i < 32; i++) producer.client.publish({ destination: t, body: `${sent++}:${body}` });
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(e2e.broker.mqm.pausedSessions, `paused after ${sent} sends`).to.equal(1);
      expect(stats(t)).to.include({ subscribers: 2, dropped: 0 });
      expect(slow.reader.byCommand('ERROR')).to.have.length(0);
      slow.socket.resume();
      await fast.waitCount(sent, 30000);
      expect(sequenceNumbers(fast.bodies), 'the fast subscriber: everything, in order').to.deep.equal([...Array(sent).keys()]);
      await waitFor(() => slow.reader.byCommand('MESSAGE').length >= sent, 30000, 'every message on the slow subscriber');
      expect(sequenceNumbers(slow.reader.byCommand('MESSAGE').map((m) => m.body.toString())), 'the slow one: everything, in order').to.deep.equal([...Array(sent).keys()]);
      await waitFor(() => e2e.broker.mqm.pausedSessions === 0, 5000, 'the producer to be read again');
      expect(stats(t).dropped).to.equal(0);
    });
  });

  describe('pubsub', () => {
    it('copies every message into each child queue, and each child distributes by its own rules', async () => {
      const consumer = await connect('bob');
      const billing = await consumer.subscribe('/queue/billing');
      const producer = await connect('bob');
      await sendAll(producer, '/pubsub/orders', range(5, 'order'));
      await billing.waitCount(5);
      // Nobody listens on shipping: the queue holds its copies for the first subscriber.
      expect(stats('/queue/shipping').depth).to.equal(5);
      const shipping = await consumer.subscribe('/queue/shipping');
      await shipping.waitCount(5);
      expect(billing.bodies).to.deep.equal(range(5, 'order'));
      expect(shipping.bodies).to.deep.equal(range(5, 'order'));
    });

    it('refuses a subscriber with an ERROR that names its children', async () => {
      const c = await connect('bob');
      c.client.subscribe('/pubsub/orders', () => undefined);
      const error = await c.nextError();
      expect(error.headers['message']).to.contain('/queue/billing').and.contain('/queue/shipping');
      await c.waitClosed();
    });
  });

  describe('commands (admin)', () => {
    /** An admin client with a reply queue; `run` sends a command and returns its JSON reply. */
    async function adminClient(): Promise<{ c: StompClient; run(verb: string, args?: Record<string, string>): Promise<Record<string, unknown>> }> {
      const c = await connect('admin');
      const replies = unique('/queue/replies');
      const sub = await c.subscribe(replies);
      let n = 0;
      return {
        c,
        async run(verb, args = {}) {
          const id = `cmd-${++n}`;
          await c.publishConfirmed(`/command/${verb}`, '', { ...args, 'reply-to': replies, 'correlation-id': id });
          let reply: IMessage | undefined;
          await waitFor(() => (reply = sub.messages.find((m) => m.headers['correlation-id'] === id)) !== undefined, 5000, `the reply to ${verb}`);
          expect(reply!.headers['content-type']).to.equal('application/json');
          const body = json(reply!);
          expect(body).to.include({ ok: true, command: verb });
          return body;
        },
      };
    }

    it('create-queue, list, stats, empty-queue and delete-queue', async () => {
      const { run } = await adminClient();
      const q = unique('/queue/made');
      const created = await run('create-queue', { name: q });
      expect(created['destination']).to.include({ name: q, type: 'queue' });
      expect(e2e.broker.mqm.lookup(q)).to.not.equal(undefined);
      // `type` overrides routing: this name would otherwise be a topic (the fallback).
      const typed = unique('/jobs/typed');
      expect((await run('create-queue', { name: typed, type: 'queue' }))['destination']).to.include({ name: typed, type: 'queue' });

      await sendAll(await connect('bob'), q, range(3));
      const listed = (await run('list'))['destinations'] as Array<{ name: string; type: string; subscribers: number; depth: number }>;
      expect(listed.find((d) => d.name === q)).to.include({ type: 'queue', subscribers: 0, depth: 3 });
      expect(listed.find((d) => d.name === '/pubsub/orders')).to.include({ type: 'pubsub' });

      expect((await run('stats', { name: q }))['stats']).to.include({ name: q, depth: 3, enqueued: 3 });
      expect(await run('empty-queue', { name: q })).to.include({ removed: 3 });
      expect(stats(q).depth).to.equal(0);

      const watcher = await connect('bob');
      const watched = await watcher.subscribe(q);
      expect(await run('delete-queue', { name: q })).to.include({ deleted: q });
      expect(e2e.broker.mqm.lookup(q)).to.equal(undefined);
      expect(watched.messages).to.have.length(0);
      // Its subscriber is told why.
      const error = await watcher.nextError();
      expect(error.headers['message']).to.be.a('string').and.not.equal('');
    });

    it('add-child and remove-child change where later pubsub messages go', async () => {
      const { run } = await adminClient();
      const pubsub = unique('/pubsub/runtime');
      const child = unique('/queue/child');
      await run('create-queue', { name: pubsub });
      const added = await run('add-child', { pubsub, child });
      expect(added['children']).to.deep.equal([child]);
      const producer = await connect('bob');
      await producer.publishConfirmed(pubsub, 'copied');
      expect(stats(child).depth).to.equal(1);
      const removed = await run('remove-child', { pubsub, child });
      expect(removed['children']).to.deep.equal([]);
      await producer.publishConfirmed(pubsub, 'not copied');
      expect(stats(child).depth).to.equal(1);
    });

    it('add-child refuses a cycle with an ERROR', async () => {
      const { c, run } = await adminClient();
      const a = unique('/pubsub/cycle-a');
      const b = unique('/pubsub/cycle-b');
      await run('create-queue', { name: a });
      await run('create-queue', { name: b });
      await run('add-child', { pubsub: a, child: b });
      c.client.publish({ destination: '/command/add-child', headers: { pubsub: b, child: a } });
      const error = await c.nextError();
      expect(error.headers['message']).to.match(/cycle/i);
      expect([...(e2e.broker.mqm.lookup(b) as unknown as { children(): Iterable<string> }).children()]).to.deep.equal([]);
    });

    it('sessions lists clients; disconnect closes the one named by its CONNECTED session header', async () => {
      const { run } = await adminClient();
      const victim = await connect('bob');
      const session = victim.connectedFrame.headers['session']!;
      const sessions = (await run('sessions'))['sessions'] as Array<{ id: string; user: string }>;
      expect(sessions.find((s) => s.id === session)).to.include({ user: 'bob' });
      expect(await run('disconnect', { session })).to.include({ disconnected: true, session });
      const error = await victim.nextError();
      expect(error.headers['message']).to.contain('admin');
      await victim.waitClosed();
      expect(e2e.broker.mqm.listSessions().map((s) => s.id)).to.not.include(session);
    });

    it('answers a command with a missing argument or an unknown target with an ERROR', async () => {
      const first = await adminClient();
      first.c.client.publish({ destination: '/command/delete-queue', headers: { receipt: 'del' } });
      const missing = await first.c.nextError();
      expect(missing.headers['message']).to.contain('name');
      expect(missing.headers['receipt-id']).to.equal('del');
      const second = await adminClient();
      second.c.client.publish({ destination: '/command/delete-queue', headers: { name: unique('/queue/absent') } });
      expect((await second.c.nextError()).headers['message']).to.contain('no destination');
    });

    it('events: an admin subscribed to /command/events sees creation, children, subscriptions and clients', async () => {
      const { c: admin, run } = await adminClient();
      const events = await admin.subscribe('/command/events');
      const pubsub = unique('/pubsub/ev');
      const child = unique('/queue/ev');
      await run('create-queue', { name: pubsub });
      await run('add-child', { pubsub, child });
      await run('remove-child', { pubsub, child });
      const user = await connect('bob');
      const sub = await user.subscribe(child);
      sub.unsubscribe();
      await user.close();
      await run('delete-queue', { name: pubsub });
      const seen = () => events.messages.map((m) => json(m));
      await waitFor(() => seen().some((e) => e['type'] === 'destination.deleted' && e['destination'] === pubsub), 5000, 'the delete event');
      const mine = seen().filter((e) => [pubsub, child].includes(e['destination'] as string) || e['pubsub'] === pubsub || e['user'] === 'bob');
      const types = mine.map((e) => e['type']);
      expect(types).to.include.members(['destination.created', 'child.added', 'child.removed', 'client.connected', 'subscribed', 'unsubscribed', 'client.disconnected', 'destination.deleted']);
    });
  });

  describe('commands refused without the admin right', () => {
    for (const verb of VERBS) {
      it(`refuses /command/${verb} to a non-admin with an ERROR naming the admin right`, async () => {
        const bob = await connect('bob');
        bob.client.publish({ destination: `/command/${verb}`, headers: { name: '/queue/x', pubsub: '/pubsub/orders', child: '/queue/x', session: 'x', 'reply-to': unique('/queue/r') } });
        const error = await bob.nextError();
        expect(error.headers['message']).to.contain('admin').and.contain('refused').and.contain('bob');
        await bob.waitClosed();
      });
    }

    it('refuses a non-admin subscription to /command/events', async () => {
      const bob = await connect('bob');
      bob.client.subscribe('/command/events', () => undefined);
      const error = await bob.nextError();
      expect(error.headers['message']).to.contain('admin').and.contain('refused');
    });

    it('leaves the broker unchanged after a refused command', async () => {
      const q = unique('/queue/kept');
      await (await connect('bob')).publishConfirmed(q, 'keep me');
      const bob = await connect('bob');
      bob.client.publish({ destination: '/command/delete-queue', headers: { name: q } });
      await bob.nextError();
      expect(stats(q).depth).to.equal(1);
    });
  });
});
