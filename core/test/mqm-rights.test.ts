/**
 * Every reference method asks for the right it needs: a principal lacking exactly that right is
 * refused with ACCESS_DENIED naming the right and the destination, and one holding it succeeds.
 */
import { expect } from 'chai';
import {
  Broker, createLogger, definePlugin, ErrorCodes, WharfError,
  type ClientSession, type Consumer, type Right, type Subscription,
} from '../src/index.js';
import { tinyTypesPlugin } from './helpers/tiny-types.js';

const silent = createLogger('silent');
const ALL: Right[] = ['create', 'read', 'write', 'admin'];

/** Users are named after the rights they lack: `no-create`, `no-read`, ...; `all` lacks none. */
const revoked = new Map<string, Right>();
let rulesChanged: () => void = () => undefined;
const securityPlugin = definePlugin({ kind: 'security', name: 'test-security', core: '^0.1.0' }, (ctx) => {
  ctx.authenticator({
    name: 'by-login',
    authenticate: (credentials) => credentials.login
      ? { principal: { name: credentials.login, groups: [], anonymous: false } }
      : { rejected: true },
  });
  ctx.authorizer({
    name: 'by-name',
    rights: (principal) => new Set(ALL.filter((r) => principal.name !== `no-${r}` && revoked.get(principal.name) !== r)),
    onChange: (listener) => { rulesChanged = listener; },
  });
});

const consumer = (session: ClientSession): Consumer => ({
  id: 's1', session, ackMode: 'client-individual', prefetch: 0, deliver: () => true, cancel: () => undefined,
});

describe('MessageQueueManager rights', () => {
  let broker: Broker;
  const sessions = new Map<string, ClientSession>();
  const connect = async (login: string): Promise<ClientSession> => {
    const session = await broker.mqm.connect({ login, passcode: 'x' }, {
      id: `c-${login}-${Math.random()}`, protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
    }, { close: () => undefined });
    sessions.set(login, session);
    return session;
  };

  beforeEach(async () => {
    broker = await Broker.create({ plugins: [tinyTypesPlugin, securityPlugin] }, { logger: silent });
    await broker.start();
  });
  afterEach(() => broker.stop());

  function denied(fn: () => unknown, right: Right, destination: string): void {
    let caught: unknown;
    try {
      fn();
    } catch (err) {
      caught = err;
    }
    expect(caught, `expected ${right} to be required`).to.be.instanceOf(WharfError);
    const err = caught as WharfError;
    expect(err.code).to.equal(ErrorCodes.ACCESS_DENIED);
    expect(err.message).to.contain(right).and.contain(destination);
    expect(err.details).to.include({ right, destination });
  }

  it('refuses bad credentials with one text', async () => {
    const err = await broker.mqm.connect({}, {
      id: 'anon', protocol: 'test', transport: 'memory', remoteAddress: '127.0.0.1', secure: false,
    }, { close: () => undefined }).then(() => undefined, (e: unknown) => e);
    expect(err).to.be.instanceOf(WharfError).with.property('code', ErrorCodes.BAD_CREDENTIALS);
    expect((err as WharfError).message).to.equal('bad credentials');
  });

  it('create needs `create` for a new name but not for an existing one', async () => {
    const noCreate = await connect('no-create');
    denied(() => noCreate.create('/queue/new'), 'create', '/queue/new');
    broker.mqm.createDestination('/queue/existing');
    expect(noCreate.create('/queue/existing').name).to.equal('/queue/existing');
    expect((await connect('all')).create('/queue/new').type).to.equal('queue');
  });

  it('subscribe needs `read`, and `create` when it creates', async () => {
    const noRead = await connect('no-read');
    broker.mqm.createDestination('/queue/a');
    denied(() => noRead.subscribe('/queue/a', consumer(noRead)), 'read', '/queue/a');
    const noCreate = await connect('no-create');
    denied(() => noCreate.subscribe('/queue/b', consumer(noCreate)), 'create', '/queue/b');
    expect(noCreate.subscribe('/queue/a', consumer(noCreate)).destination).to.equal('/queue/a');
  });

  it('send needs `write`, and `create` for a new queue but not for a transient topic', async () => {
    const noWrite = await connect('no-write');
    denied(() => noWrite.send('/queue/a', { headers: {}, body: Buffer.alloc(0) }), 'write', '/queue/a');
    const noCreate = await connect('no-create');
    denied(() => noCreate.send('/queue/new', { headers: {}, body: Buffer.alloc(0) }), 'create', '/queue/new');
    noCreate.send('/chat/room', { headers: {}, body: Buffer.alloc(0) });
    expect(broker.mqm.lookup('/chat/room')).to.equal(undefined);
    expect(broker.mqm.droppedCount).to.equal(1);
  });

  it('a send in a transaction is checked when it arrives, not at commit', async () => {
    const noWrite = await connect('no-write');
    noWrite.begin('t1');
    denied(() => noWrite.send('/queue/a', { headers: {}, body: Buffer.alloc(0) }, 't1'), 'write', '/queue/a');
  });

  it('a commit checks every right again: one revoked since the SEND fails the commit, and nothing is applied', async () => {
    const all = await connect('all');
    all.begin('t1');
    all.send('/queue/kept', { headers: {}, body: Buffer.alloc(0) }, 't1');
    all.send('/queue/a', { headers: {}, body: Buffer.alloc(0) }, 't1');
    broker.mqm.createDestination('/queue/a');
    revoked.set('all', 'write');
    rulesChanged();
    try {
      denied(() => all.commit('t1'), 'write', '/queue/kept');
      expect(broker.mqm.lookup('/queue/kept')).to.equal(undefined);
      expect(broker.mqm.destinationStats('/queue/a').enqueued).to.equal(0);
    } finally {
      revoked.clear();
      rulesChanged();
    }
  });

  it('ack and nack need `read` on the subscription destination', async () => {
    const all = await connect('all');
    const sub: Subscription = all.subscribe('/queue/a', consumer(all));
    all.ack(sub, 1);
    all.nack(sub, 2);
    expect((sub as unknown as { acks: number[] }).acks).to.deep.equal([1, -2]);
    // The principal loses `read` when the authorizer's rules change: cached answers are dropped.
    revoked.set('all', 'read');
    rulesChanged();
    try {
      denied(() => all.ack(sub, 3), 'read', '/queue/a');
      denied(() => all.nack(sub, 3), 'read', '/queue/a');
    } finally {
      revoked.clear();
      rulesChanged();
    }
  });

  it('command destinations need `admin` to send and subscribe', async () => {
    const noAdmin = await connect('no-admin');
    denied(() => noAdmin.send('/command/list', { headers: {}, body: Buffer.alloc(0) }), 'admin', '/command/list');
    denied(() => noAdmin.subscribe('/command/events', consumer(noAdmin)), 'admin', '/command/events');
    const all = await connect('all');
    all.send('/command/list', { headers: {}, body: Buffer.alloc(0) });
    // A type may name the right that creating its destinations needs: commands need admin only.
    const noCreate = await connect('no-create');
    noCreate.send('/command/stats', { headers: {}, body: Buffer.alloc(0) });
    expect(broker.mqm.lookup('/command/stats')?.type).to.equal('command');
  });

  it('destroy, list, stats and disconnect need `admin`', async () => {
    broker.mqm.createDestination('/queue/a');
    const noAdmin = await connect('no-admin');
    denied(() => noAdmin.destroy('/queue/a'), 'admin', '/queue/a');
    denied(() => noAdmin.list(), 'admin', '/command/list');
    denied(() => noAdmin.stats('/queue/a'), 'admin', '/queue/a');
    denied(() => broker.mqm.disconnect(noAdmin as never, 'x'), 'admin', '/command/disconnect');
    const all = await connect('all');
    expect(all.list().map((d) => d.name)).to.include('/queue/a');
    expect(all.stats('/queue/a').subscribers).to.equal(0);
    expect(all.destroy('/queue/a')).to.equal(true);
    expect(broker.mqm.lookup('/queue/a')).to.equal(undefined);
  });
});
