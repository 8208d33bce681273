import { expect } from 'chai';
import { definePlugin, type Principal, type Right } from '@wharf/core';
import { expectBrokerWorks, header, startStompBroker, type StompTestBroker } from './helpers.js';

const USERS: Record<string, { passcode: string; groups: string[] }> = {
  alice: { passcode: 'secret', groups: ['users'] },
  bob: { passcode: 'pw', groups: ['readers'] },
  root: { passcode: 'root', groups: ['admins'] },
};

/** alice: everything but admin; bob: read /queue/*, nothing else; root: everything. */
function rightsOf(principal: Principal, destination: string): ReadonlySet<Right> {
  if (principal.groups.includes('admins')) return new Set<Right>(['create', 'read', 'write', 'admin']);
  if (principal.groups.includes('users')) return new Set<Right>(destination.startsWith('/command/') ? [] : ['create', 'read', 'write']);
  if (principal.groups.includes('readers') && destination.startsWith('/queue/')) return new Set<Right>(['read', 'create']);
  return new Set<Right>();
}

const inlineSecurity = definePlugin({ kind: 'security', name: 'inline-security', core: '^0.1.0' }, (ctx) => {
  ctx.authenticator({
    name: 'inline-users',
    authenticate: (credentials) => {
      const user = credentials.login === undefined ? undefined : USERS[credentials.login];
      if (user === undefined || user.passcode !== credentials.passcode) return { rejected: true };
      return { principal: { name: credentials.login!, groups: user.groups, anonymous: false } };
    },
  });
  ctx.authorizer({ name: 'inline-rules', rights: rightsOf });
});

const as = (login: string, passcode: string) => ({ 'accept-version': '1.2', host: 'h', login, passcode });

describe('STOMP session: security refusals', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker({}, [inlineSecurity]);
  });
  afterEach(async () => {
    await env.stop();
  });
  const works = async (): Promise<void> => {
    const client = await env.connect(as('alice', 'secret'));
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/ok' });
    client.send('SEND', { destination: '/queue/ok' }, 'fine');
    expect((await client.next('MESSAGE')).body.toString()).to.equal('fine');
  };

  it('refuses bad credentials with ERROR "bad credentials", then closes', async () => {
    const client = env.open();
    client.send('CONNECT', as('alice', 'wrong'));
    const error = await client.expectError({ message: /^bad credentials$/ });
    expect(error.body.toString()).to.not.include('wrong');
    expect(env.broker.mqm.sessionCount).to.equal(0);
    await works();
  });

  it('gives an unknown user the same answer as a wrong passcode', async () => {
    const client = env.open();
    client.send('CONNECT', as('mallory', 'x'));
    await client.expectError({ message: /^bad credentials$/ });
  });

  it('refuses a connection without credentials', async () => {
    const client = env.open();
    client.send('CONNECT', { 'accept-version': '1.2' });
    await client.expectError({ message: /bad credentials/ });
  });

  it('drops frames pipelined behind a refused CONNECT', async () => {
    const client = env.open();
    client.sendRaw('CONNECT\naccept-version:1.2\nlogin:alice\npasscode:nope\n\n\0SEND\ndestination:/queue/sneaky\n\nx\0');
    await client.expectError({ message: /bad credentials/ });
    expect(env.broker.mqm.lookup('/queue/sneaky')).to.equal(undefined);
  });

  it('refuses a SEND without the write right with an ERROR naming the right and destination, then closes', async () => {
    const client = await env.connect(as('bob', 'pw'));
    client.send('SEND', { destination: '/queue/orders', receipt: 'w' }, 'x');
    const error = await client.expectError({ receiptId: 'w' });
    expect(header(error, 'message')).to.match(/\bwrite\b/).and.to.include('/queue/orders');
    await works();
  });

  it('refuses a SUBSCRIBE without the read right', async () => {
    const client = await env.connect(as('bob', 'pw'));
    client.send('SUBSCRIBE', { id: 's', destination: '/topic/news', receipt: 'r' });
    const error = await client.expectError({ receiptId: 'r' });
    expect(header(error, 'message')).to.match(/\bread\b/).and.to.include('/topic/news');
    await works();
  });

  it('lets a user do what it may', async () => {
    const client = await env.connect(as('bob', 'pw'));
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/readable' });
  });

  it('refuses a command without the admin right', async () => {
    const client = await env.connect(as('alice', 'secret'));
    client.send('SEND', { destination: '/command/sessions' }, '');
    const error = await client.expectError();
    expect(header(error, 'message')).to.include('/command/sessions');
  });

  it('closes a session with an ERROR when an admin sends /command/disconnect for it', async () => {
    const target = await env.connect(as('alice', 'secret'));
    await target.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/held', ack: 'client' });
    const session = header(target.connected!, 'session')!;
    const admin = await env.connect(as('root', 'root'));
    await admin.sendWithReceipt('SEND', { destination: '/command/disconnect', session }, '');
    const error = await target.expectError({ message: /disconnected by root/ });
    expect(error.body.toString()).to.include('root');
    expect(env.broker.mqm.listSessions().map((s) => s.id)).to.not.include(session);
    // The admin's own connection goes on.
    await admin.sendWithReceipt('BEGIN', { transaction: 't' });
    await works();
  });
});

describe('STOMP session: the disconnect command without security plugins', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('closes the named session, returning its unacknowledged messages', async () => {
    const target = await env.connect();
    target.send('SUBSCRIBE', { id: 's', destination: '/queue/unacked', ack: 'client' });
    target.send('SEND', { destination: '/queue/unacked' }, 'm');
    await target.next('MESSAGE');
    const admin = await env.connect();
    admin.send('SEND', { destination: '/command/disconnect', session: header(target.connected!, 'session')!, receipt: 'd' }, '');
    await target.expectError({ message: /disconnected/ });
    expect(header(await admin.next('RECEIPT'), 'receipt-id')).to.equal('d');
    expect(env.broker.mqm.destinationStats('/queue/unacked')).to.include({ depth: 1, unacked: 0 });
    await expectBrokerWorks(env);
  });

  it('answers an unknown session id with an ERROR to the sender', async () => {
    const admin = await env.connect();
    admin.send('SEND', { destination: '/command/disconnect', session: 'nobody' }, '');
    await admin.expectError({ message: /nobody/ });
  });
});
