/**
 * Every command verb over the in-process harness: a SEND to /command/<verb> with arguments as
 * headers, a JSON reply on reply-to carrying the correlation-id, and a coded error for a refusal.
 */
import { expect } from 'chai';
import { ErrorCodes, type Broker, type DestinationInfo } from '@wharf/core';
import { expectWharfError, type TestClient } from '@wharf/testkit';
import { VERBS } from '../src/index.js';
import { CommandClient, connectAs, startBroker } from './helpers/broker.js';

describe('queue-command verbs', () => {
  let broker: Broker;
  let admin: TestClient;
  let commands: CommandClient;

  beforeEach(async () => {
    broker = await startBroker({ pubsub: { '/pubsub/orders': { children: ['/queue/billing'] } } });
    admin = await connectAs(broker, 'admin');
    commands = new CommandClient(admin);
  });
  afterEach(() => broker.stop());

  describe('replies', () => {
    it('sends a JSON reply with the correlation-id to reply-to', async () => {
      await admin.send('/command/list', '', { 'reply-to': commands.replyTo, 'correlation-id': 'abc-1' });
      const reply = commands.replies.last!.message;
      expect(reply.destination).to.equal(commands.replyTo);
      expect(reply.headers).to.deep.equal({ 'content-type': 'application/json', 'correlation-id': 'abc-1' });
      expect(JSON.parse(Buffer.from(reply.body).toString())).to.include({ ok: true, command: 'list' });
    });

    it('leaves out the correlation-id when the command has none', async () => {
      await admin.send('/command/list', '', { 'reply-to': commands.replyTo });
      expect(commands.replies.last!.message.headers).to.deep.equal({ 'content-type': 'application/json' });
    });

    it('runs a command without reply-to and sends nothing', async () => {
      await admin.send('/command/create-queue', '', { name: '/queue/quiet' });
      expect(broker.mqm.lookup('/queue/quiet')?.type).to.equal('queue');
      expect(commands.replies.deliveries).to.have.length(0);
    });

    it('refuses a reply-to that is itself a command destination, before running the command', async () => {
      const err = await expectWharfError(
        () => admin.send('/command/create-queue', '', { name: '/queue/never', 'reply-to': '/command/list' }), ErrorCodes.BAD_COMMAND);
      expect(err.message).to.contain('reply-to /command/list');
      expect(broker.mqm.lookup('/queue/never')).to.equal(undefined);
    });
  });

  describe('create-queue', () => {
    it('creates a destination as routing says and replies with it', async () => {
      const reply = await commands.run('create-queue', { name: '/queue/x' });
      expect(reply).to.deep.include({ ok: true, command: 'create-queue' });
      expect(reply.destination).to.deep.equal({ name: '/queue/x', type: 'queue', subscribers: 0, depth: 0 });
      expect(broker.mqm.lookup('/queue/x')?.type).to.equal('queue');
    });

    it('creates the type given by the `type` header', async () => {
      const reply = await commands.run('create-queue', { name: '/queue/fan', type: 'pubsub' });
      expect(reply.destination).to.deep.equal({ name: '/queue/fan', type: 'pubsub', subscribers: 0, depth: 0, children: [] });
    });

    it('is idempotent for an existing destination of that type, and refuses another type', async () => {
      await commands.run('create-queue', { name: '/queue/x' });
      expect((await commands.run('create-queue', { name: '/queue/x', type: 'queue' })).ok).to.equal(true);
      const err = await expectWharfError(() => commands.run('create-queue', { name: '/queue/x', type: 'pubsub' }), ErrorCodes.BAD_DESTINATION);
      expect(err.message).to.contain('/queue/x exists already as a queue');
    });

    it('refuses an unknown type, listing the known ones', async () => {
      const err = await expectWharfError(() => commands.run('create-queue', { name: '/queue/y', type: 'priority' }), ErrorCodes.NO_ROUTE);
      expect(err.hint).to.contain('queue').and.contain('pubsub');
    });
  });

  describe('delete-queue', () => {
    it('deletes a destination and cancels its subscribers', async () => {
      const user = await connectAs(broker, 'user');
      const { consumer } = user.subscribe('/queue/doomed');
      const reply = await commands.run('delete-queue', { name: '/queue/doomed' });
      expect(reply).to.deep.include({ ok: true, deleted: '/queue/doomed' });
      expect(broker.mqm.lookup('/queue/doomed')).to.equal(undefined);
      expect(consumer.cancelled?.code).to.equal(ErrorCodes.NOT_FOUND);
    });

    it('says NOT_FOUND for a destination that does not exist', async () => {
      const err = await expectWharfError(() => commands.run('delete-queue', { name: '/queue/nope' }), ErrorCodes.NOT_FOUND);
      expect(err.message).to.contain('/queue/nope');
    });
  });

  describe('empty-queue', () => {
    it('removes every held message and replies how many', async () => {
      for (const body of ['1', '2', '3']) await admin.send('/queue/full', body);
      expect(broker.mqm.destinationStats('/queue/full').depth).to.equal(3);
      expect(await commands.run('empty-queue', { name: '/queue/full' })).to.deep.include({ ok: true, removed: 3 });
      expect(broker.mqm.destinationStats('/queue/full').depth).to.equal(0);
      expect(admin.subscribe('/queue/full').consumer.deliveries).to.have.length(0);
    });

    it('says NOT_FOUND for a destination that does not exist', async () => {
      await expectWharfError(() => commands.run('empty-queue', { name: '/queue/nope' }), ErrorCodes.NOT_FOUND);
    });
  });

  describe('add-child and remove-child', () => {
    it('adds a child that receives later messages, and replies with the children', async () => {
      const reply = await commands.run('add-child', { pubsub: '/pubsub/orders', child: '/queue/audit' });
      expect(reply).to.deep.include({ ok: true, pubsub: '/pubsub/orders' });
      expect(reply.children).to.deep.equal(['/queue/billing', '/queue/audit']);
      await admin.send('/pubsub/orders', 'o1');
      expect(admin.subscribe('/queue/audit').consumer.bodies).to.deep.equal(['o1']);
    });

    it('creates the pubsub when it does not exist yet', async () => {
      const reply = await commands.run('add-child', { pubsub: '/pubsub/new', child: '/queue/a' });
      expect(reply.children).to.deep.equal(['/queue/a']);
      expect(broker.mqm.lookup('/pubsub/new')?.type).to.equal('pubsub');
    });

    it('refuses a cycle, and a pubsub as its own child', async () => {
      await commands.run('add-child', { pubsub: '/pubsub/a', child: '/pubsub/b' });
      const err = await expectWharfError(() => commands.run('add-child', { pubsub: '/pubsub/b', child: '/pubsub/a' }), ErrorCodes.CYCLE);
      expect(err.message).to.contain('/pubsub/a').and.contain('/pubsub/b');
      await expectWharfError(() => commands.run('add-child', { pubsub: '/pubsub/a', child: '/pubsub/a' }), ErrorCodes.CYCLE);
    });

    it('refuses children on a destination that is not a pubsub', async () => {
      await commands.run('create-queue', { name: '/queue/plain' });
      await expectWharfError(() => commands.run('add-child', { pubsub: '/queue/plain', child: '/queue/a' }), ErrorCodes.BAD_DESTINATION);
      await expectWharfError(() => commands.run('remove-child', { pubsub: '/queue/plain', child: '/queue/a' }), ErrorCodes.BAD_DESTINATION);
    });

    it('removes a child: later messages no longer reach it', async () => {
      await admin.send('/pubsub/orders', 'before');
      const reply = await commands.run('remove-child', { pubsub: '/pubsub/orders', child: '/queue/billing' });
      expect(reply).to.deep.include({ ok: true, pubsub: '/pubsub/orders' });
      expect(reply.children).to.deep.equal([]);
      await admin.send('/pubsub/orders', 'after');
      expect(admin.subscribe('/queue/billing').consumer.bodies).to.deep.equal(['before']);
    });

    it('says NOT_FOUND for a child the pubsub does not have, naming its children, and for a missing pubsub', async () => {
      const err = await expectWharfError(() => commands.run('remove-child', { pubsub: '/pubsub/orders', child: '/queue/x' }), ErrorCodes.NOT_FOUND);
      expect(err.message).to.equal('/queue/x is not a child of /pubsub/orders');
      expect(err.hint).to.contain('/queue/billing');
      await expectWharfError(() => commands.run('remove-child', { pubsub: '/pubsub/none', child: '/queue/x' }), ErrorCodes.NOT_FOUND);
    });
  });

  describe('list', () => {
    it('replies with every destination, its type, subscriber count, depth and children', async () => {
      await admin.send('/queue/held', 'x');
      await admin.send('/queue/held', 'y');
      const user = await connectAs(broker, 'user');
      user.subscribe('/chat/room');
      const reply = await commands.run('list');
      const byName = new Map((reply.destinations as DestinationInfo[]).map((d) => [d.name, d]));
      expect(byName.get('/queue/held')).to.deep.equal({ name: '/queue/held', type: 'queue', subscribers: 0, depth: 2 });
      expect(byName.get('/chat/room')).to.deep.equal({ name: '/chat/room', type: 'topic', subscribers: 1, depth: 0 });
      expect(byName.get('/pubsub/orders')).to.deep.equal({
        name: '/pubsub/orders', type: 'pubsub', subscribers: 0, depth: 0, children: ['/queue/billing'],
      });
      expect(byName.get(commands.replyTo)).to.include({ type: 'queue', subscribers: 1 });
      expect(byName.get('/command/list')).to.include({ type: 'command' });
    });
  });

  describe('stats', () => {
    it("replies with one destination's counters", async () => {
      await admin.send('/pubsub/orders', 'a');
      await admin.send('/pubsub/orders', 'b');
      const reply = await commands.run('stats', { name: '/pubsub/orders' });
      expect(reply.stats).to.deep.equal({
        name: '/pubsub/orders', type: 'pubsub', subscribers: 0, depth: 0, unacked: 0, enqueued: 2, delivered: 2, dropped: 0,
      });
      expect((await commands.run('stats', { name: '/queue/billing' })).stats).to.include({ type: 'queue', depth: 2 });
    });

    it('says NOT_FOUND for a destination that does not exist', async () => {
      await expectWharfError(() => commands.run('stats', { name: '/queue/nope' }), ErrorCodes.NOT_FOUND);
    });
  });

  describe('sessions and disconnect', () => {
    it('lists the connected sessions with their ids', async () => {
      const user = await connectAs(broker, 'user');
      const reply = await commands.run('sessions');
      expect(reply.sessions).to.deep.include({ id: user.session.id, user: 'user', protocol: 'test', remoteAddress: '127.0.0.1' });
      expect(reply.sessions).to.deep.include({ id: admin.session.id, user: 'admin', protocol: 'test', remoteAddress: '127.0.0.1' });
    });

    it('closes the target session: the client is told why and its subscriptions are gone', async () => {
      const target = await connectAs(broker, 'user');
      target.subscribe('/queue/work');
      target.subscribe('/chat/room');
      expect(broker.mqm.destinationStats('/queue/work').subscribers).to.equal(1);

      const reply = await commands.run('disconnect', { session: target.session.id });
      expect(reply).to.deep.include({ ok: true, disconnected: true, session: target.session.id });
      expect(target.closedWith?.code).to.equal(ErrorCodes.CLOSED);
      expect(target.closedWith?.message).to.equal('disconnected by admin');
      expect(target.session.closed).to.equal(true);
      expect(broker.mqm.destinationStats('/queue/work').subscribers).to.equal(0);
      expect(broker.mqm.lookup('/chat/room'), 'the topic left with its last subscriber').to.equal(undefined);
      expect(broker.mqm.listSessions().map((s) => s.id)).to.not.include(target.session.id);
      expect(admin.closedWith).to.equal(undefined);
    });

    it('says NOT_FOUND for a session that does not exist', async () => {
      const err = await expectWharfError(() => commands.run('disconnect', { session: 'no-such-session' }), ErrorCodes.NOT_FOUND);
      expect(err.message).to.contain('no-such-session');
      expect(err.hint).to.contain('/command/sessions');
    });
  });

  describe('bad commands', () => {
    it('refuses an unknown verb, listing the valid ones, and leaves no destination behind', async () => {
      const err = await expectWharfError(() => admin.send('/command/make-coffee', ''), ErrorCodes.BAD_COMMAND);
      expect(err.message).to.contain('make-coffee');
      for (const verb of VERBS.keys()) expect(err.hint).to.contain(verb);
      expect(broker.mqm.lookup('/command/make-coffee')).to.equal(undefined);
    });

    it('refuses a command without a required argument, naming it', async () => {
      const cases: Array<[string, Record<string, string>, string]> = [
        ['create-queue', {}, 'name'],
        ['delete-queue', {}, 'name'],
        ['empty-queue', { name: '' }, 'name'],
        ['add-child', { child: '/queue/a' }, 'pubsub'],
        ['add-child', { pubsub: '/pubsub/orders' }, 'child'],
        ['remove-child', { child: '/queue/a' }, 'pubsub'],
        ['remove-child', { pubsub: '/pubsub/orders' }, 'child'],
        ['stats', {}, 'name'],
        ['disconnect', {}, 'session'],
      ];
      for (const [verb, headers, missing] of cases) {
        const err = await expectWharfError(() => admin.send(`/command/${verb}`, '', headers), ErrorCodes.BAD_COMMAND);
        expect(err.message, verb).to.equal(`command ${verb} needs the header ${missing}`);
        expect(err.details).to.deep.equal({ command: verb, argument: missing });
      }
    });

    it('refuses a send to /command/events, which is subscribed to', async () => {
      const err = await expectWharfError(() => admin.send('/command/events', ''), ErrorCodes.BAD_COMMAND);
      expect(err.message).to.contain('subscribe to it');
    });

    it('refuses subscribers on every command verb, pointing to /command/events', async () => {
      for (const verb of VERBS.keys()) {
        const err = await expectWharfError(() => admin.subscribe(`/command/${verb}`), ErrorCodes.NOT_SUBSCRIBABLE);
        expect(err.message).to.contain(`/command/${verb}`).and.contain('/command/events');
      }
    });

    it('counts executed and refused commands in the verb destination stats', async () => {
      await commands.run('create-queue', { name: '/queue/x' });
      await expectWharfError(() => commands.run('create-queue', {}), ErrorCodes.BAD_COMMAND);
      expect(broker.mqm.destinationStats('/command/create-queue')).to.include({ enqueued: 2, delivered: 1, dropped: 1 });
    });
  });

  describe('in-process', () => {
    it('offers the same operations as MessageQueueManager methods', () => {
      broker.mqm.createDestination('/queue/direct');
      broker.mqm.addChild('/pubsub/orders', '/queue/direct');
      expect(broker.mqm.listDestinations().find((d) => d.name === '/pubsub/orders')!.children).to.include('/queue/direct');
      expect(broker.mqm.removeChild('/pubsub/orders', '/queue/direct')).to.equal(true);
      expect(broker.mqm.purgeDestination('/queue/direct')).to.equal(0);
      expect(broker.mqm.deleteDestination('/queue/direct')).to.equal(true);
      expect(broker.mqm.disconnectSession(admin.session.id)).to.equal(true);
      expect(admin.closedWith?.code).to.equal(ErrorCodes.CLOSED);
    });
  });
});
