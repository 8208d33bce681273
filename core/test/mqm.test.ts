import { expect } from 'chai';
import {
  Broker, createLogger, ErrorCodes, WharfError,
  type BrokerEvent, type ClientSession, type Consumer, type Delivery, type Subscription,
} from '../src/index.js';
import { tinyTypesPlugin, type RecordingDestination } from './helpers/tiny-types.js';

const silent = createLogger('silent');
const body = (text: string) => ({ headers: { 'content-type': 'text/plain' }, body: Buffer.from(text) });

describe('MessageQueueManager', () => {
  let broker: Broker;
  let events: BrokerEvent[];
  let closedWith: WharfError | undefined;
  let session: ClientSession;

  const recording = (name: string) => broker.mqm.lookup(name) as RecordingDestination;
  const consumer = (id: string, into: Delivery[] = []): Consumer => ({
    id, session, ackMode: 'client-individual', prefetch: 0, deliver: (d) => { into.push(d); return true; }, cancel: () => undefined,
  });

  beforeEach(async () => {
    broker = await Broker.create({ plugins: [tinyTypesPlugin], limits: { maxTransactionSize: 3, maxTransactions: 2 } }, { logger: silent });
    await broker.start();
    events = [];
    broker.mqm.events.on((e) => events.push(e));
    closedWith = undefined;
    session = await broker.mqm.connect({}, {
      id: 'client-1', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
    }, { close: (reason) => { closedWith = reason; } });
  });
  afterEach(() => broker.stop());

  it('gives anonymous access when no authenticator is loaded', () => {
    expect(session.principal).to.include({ name: 'anonymous', anonymous: true });
  });

  it('creates a destination on first send, with a fresh id, the sender headers and the bytes', () => {
    session.send('/queue/a', body('one'));
    session.send('/queue/a', body('two'));
    const [m1, m2] = recording('/queue/a').messages;
    expect(m1!.id).to.not.equal(m2!.id);
    expect(m1!.destination).to.equal('/queue/a');
    expect(m1!.headers).to.deep.equal({ 'content-type': 'text/plain' });
    expect(Buffer.from(m2!.body).toString()).to.equal('two');
    expect(events.filter((e) => e.type === 'destination.created')).to.deep.equal([
      { type: 'destination.created', destination: '/queue/a', queueType: 'queue' },
    ]);
  });

  it('refuses empty and over-long names', () => {
    expect(() => session.send('', body('x'))).to.throw(WharfError).with.property('code', ErrorCodes.BAD_DESTINATION);
    expect(() => session.create('/q/' + 'x'.repeat(2000))).to.throw(WharfError).with.property('code', ErrorCodes.BAD_DESTINATION);
  });

  it('holds transactional sends and acks until commit, and applies them in order', async () => {
    const got: Delivery[] = [];
    const sub = session.subscribe('/queue/tx', consumer('s', got));
    session.begin('t1');
    session.send('/queue/tx', body('a'), 't1');
    session.ack(sub, 7, 't1');
    session.send('/queue/tx', body('b'), 't1');
    expect(recording('/queue/tx').messages).to.have.length(0);
    expect((sub as unknown as { acks: number[] }).acks).to.deep.equal([]);
    await session.commit('t1');
    expect(recording('/queue/tx').messages.map((m) => Buffer.from(m.body).toString())).to.deep.equal(['a', 'b']);
    expect((sub as unknown as { acks: number[] }).acks).to.deep.equal([7]);
  });

  it('drops transactional work on abort, and refuses unknown or repeated transactions', () => {
    session.begin('t1');
    session.send('/queue/tx', body('a'), 't1');
    session.abort('t1');
    expect(broker.mqm.lookup('/queue/tx')).to.equal(undefined);
    expect(() => session.commit('t1')).to.throw(WharfError).with.property('code', ErrorCodes.TRANSACTION);
    expect(() => session.send('/queue/tx', body('a'), 'nope')).to.throw(WharfError).with.property('code', ErrorCodes.TRANSACTION);
    session.begin('t2');
    expect(() => session.begin('t2')).to.throw(WharfError).with.property('code', ErrorCodes.TRANSACTION);
  });

  it('limits transaction size and count', () => {
    session.begin('t1');
    for (let i = 0; i < 3; i++) session.send('/queue/tx', body(`${i}`), 't1');
    expect(() => session.send('/queue/tx', body('x'), 't1')).to.throw(WharfError).with.property('code', ErrorCodes.LIMIT);
    session.begin('t2');
    expect(() => session.begin('t3')).to.throw(WharfError).with.property('code', ErrorCodes.LIMIT);
  });

  it('aborts open transactions and detaches subscriptions when the session closes', () => {
    const sub: Subscription = session.subscribe('/queue/a', consumer('s'));
    session.begin('t1');
    session.send('/queue/b', body('never'), 't1');
    session.close('client went away');
    expect(recording('/queue/a').consumers.size).to.equal(0);
    expect(broker.mqm.lookup('/queue/b')).to.equal(undefined);
    expect(session.closed).to.equal(true);
    expect(() => session.send('/queue/a', body('x'))).to.throw(WharfError).with.property('code', ErrorCodes.CLOSED);
    expect(sub.destination).to.equal('/queue/a');
    expect(events.map((e) => e.type)).to.include.members(['unsubscribed', 'client.disconnected']);
  });

  it('refuses acks for subscriptions of another session', async () => {
    const other = await broker.mqm.connect({}, {
      id: 'client-2', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
    }, { close: () => undefined });
    const sub = session.subscribe('/queue/a', consumer('s'));
    expect(() => other.ack(sub, 1)).to.throw(WharfError).with.property('code', ErrorCodes.UNKNOWN_SUBSCRIPTION);
  });

  it('disconnects a session by id through the admin API, telling the client why', () => {
    expect(broker.mqm.listSessions().map((s) => s.id)).to.deep.equal(['client-1']);
    expect(broker.mqm.disconnectSession('client-1', 'maintenance')).to.equal(true);
    expect(closedWith?.message).to.equal('maintenance');
    expect(session.closed).to.equal(true);
    expect(broker.mqm.disconnectSession('client-1')).to.equal(false);
  });

  it('drops sends to a transient destination nobody listens to, leaving nothing behind', () => {
    for (let i = 0; i < 1000; i++) session.send(`/chat/${i}`, body('x'));
    expect(broker.mqm.listDestinations()).to.deep.equal([]);
    expect(broker.mqm.droppedCount).to.equal(1000);
  });

  it('deletes a destination, cancelling its consumers', () => {
    session.subscribe('/queue/a', consumer('s'));
    expect(broker.mqm.deleteDestination('/queue/a')).to.equal(true);
    expect(broker.mqm.lookup('/queue/a')).to.equal(undefined);
    expect(broker.mqm.deleteDestination('/queue/a')).to.equal(false);
    expect(events.map((e) => e.type)).to.include('destination.deleted');
  });

  it('refuses children for destinations that are not parents', () => {
    broker.mqm.createDestination('/queue/a');
    expect(() => broker.mqm.addChild('/queue/a', '/queue/b')).to.throw(WharfError).with.property('code', ErrorCodes.BAD_DESTINATION);
    expect(() => broker.mqm.addChild('/pubsub/p', '/pubsub/p')).to.throw(WharfError).with.property('code', ErrorCodes.CYCLE);
  });

  it('refuses new sessions once the broker is shutting down', async () => {
    await broker.stop();
    expect(closedWith?.code).to.equal(ErrorCodes.CLOSED);
    const err = await broker.mqm.connect({}, {
      id: 'late', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
    }, { close: () => undefined }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(WharfError).with.property('code', ErrorCodes.CLOSED);
  });
});
