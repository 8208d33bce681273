/**
 * Security end to end, over STOMP with real clients (@stomp/stompjs; stompit for TLS client
 * certificates): the users file and ACL plugins loaded by package name, as a config would.
 * Rights follow docs/security.md: create for a new name, read to subscribe, write to send, admin
 * for commands; a refusal is an ERROR naming the right and the destination, then a close.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import stompit from 'stompit';
import type { Client as StompitClient } from 'stompit';
import type { IFrame } from '@stomp/stompjs';
import { Broker, createLogger, ErrorCodes, WharfError } from '@wharf/core';
import { FIXTURES, STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, json, stompOverTcp, unique, waitFor, type StompClient } from './helpers.js';
import { PASSWORD, securityPlugins, writeSecurityFixture, type SecurityFixture } from './security-fixtures.js';

/** What a refused CONNECT produced: the ERROR frame and whether the connection closed. */
interface Refusal {
  readonly error: IFrame | undefined;
  readonly closed: boolean;
}

describe('e2e: security over STOMP', function () {
  this.timeout(30000);
  let fixture: SecurityFixture;
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => {
    fixture = await writeSecurityFixture();
    // Failures are throttled here too, but lightly: other tests' wrong passwords must not slow these.
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS, ...securityPlugins(fixture, { throttle: { baseDelayMs: 1, maxDelayMs: 20 } })],
    });
  });
  afterEach(() => clients.closeAll());
  after(async () => {
    await e2e?.stop();
    await fixture?.remove();
  });

  const login = (user: string, passcode = PASSWORD(user)): Promise<StompClient> =>
    stompOverTcp(e2e.tcpPort, { connectHeaders: { login: user, passcode } }, clients);

  async function refusedLogin(user: string, passcode: string): Promise<Refusal> {
    let error: IFrame | undefined;
    let closed = false;
    await stompOverTcp(e2e.tcpPort, {
      connectHeaders: { login: user, passcode },
      onStompError: (f) => { error = f; },
      onWebSocketClose: () => { closed = true; },
    }, clients).then(() => expect.fail(`${user} was let in`), () => undefined);
    await waitFor(() => closed, 5000, 'the close after the ERROR');
    return { error, closed };
  }

  /** Runs `act` on a connected client and returns the ERROR it provoked, after the close. */
  async function refusedAction(client: StompClient, act: () => void): Promise<IFrame> {
    act();
    const error = await client.nextError();
    await client.waitClosed();
    return error;
  }

  const existing = (prefix: string): string => {
    const name = unique(prefix);
    e2e.broker.mqm.createDestination(name);
    return name;
  };

  describe('authentication', () => {
    it('answers a wrong password and an unknown user with the identical ERROR, then closes', async () => {
      const wrong = await refusedLogin('reader', 'not-the-password');
      const unknown = await refusedLogin('nobody-here', 'not-the-password');
      for (const r of [wrong, unknown]) {
        expect(r.closed).to.equal(true);
        expect(r.error, 'an ERROR frame').to.not.equal(undefined);
      }
      expect(wrong.error!.headers['message']).to.equal('bad credentials');
      expect(unknown.error!.headers['message']).to.equal(wrong.error!.headers['message']);
      expect(unknown.error!.body).to.equal(wrong.error!.body);
      expect(wrong.error!.body).to.not.contain('not-the-password').and.not.contain('reader');
    });

    it('refuses a client without credentials (no anonymous access configured)', async () => {
      let error: IFrame | undefined;
      await stompOverTcp(e2e.tcpPort, { onStompError: (f) => { error = f; } }, clients).then(() => expect.fail('let in'), () => undefined);
      await waitFor(() => error !== undefined, 5000, 'the ERROR');
      expect(error!.headers['message']).to.equal('bad credentials');
    });

    it('lets a good login in under its own name', async () => {
      const c = await login('reader');
      const session = e2e.broker.mqm.listSessions().find((s) => s.id === c.connectedFrame.headers['session']);
      expect(session?.user).to.equal('reader');
    });

    it('takes a users file edited while running into account, without a restart', async () => {
      await refusedLogin('dave', 'dave-pw-1');
      await fixture.addUser('dave', 'dave-pw-1', ['staff']);
      // The broker re-reads the file shortly after it changes; poll with real logins.
      let c: StompClient | undefined;
      const deadline = Date.now() + 5000;
      while (!c && Date.now() < deadline) c = await login('dave', 'dave-pw-1').catch(() => undefined);
      expect(c, 'dave can log in').to.not.equal(undefined);
      // A changed password: the old one stops working.
      await fixture.addUser('dave', 'dave-pw-2', ['staff']);
      let old: Refusal | undefined;
      while (!old && Date.now() < deadline + 5000) {
        old = await login('dave', 'dave-pw-1').then(() => undefined, () => ({ error: undefined, closed: true }));
      }
      expect(old, 'the old password is refused').to.not.equal(undefined);
      await login('dave', 'dave-pw-2');
    });
  });

  describe('rights', () => {
    it('a user with only read can subscribe but not send: ERROR naming write and the destination, then close', async () => {
      const q = existing('/queue/shared.r');
      const c = await login('reader');
      await c.subscribe(q);
      const error = await refusedAction(c, () => c.client.publish({ destination: q, body: 'x' }));
      expect(error.headers['message']).to.contain('write').and.contain(q);
      expect(e2e.broker.mqm.destinationStats(q).depth).to.equal(0);
    });

    it('a user with only write can send but not subscribe', async () => {
      const q = existing('/queue/shared.w');
      const c = await login('writer');
      await c.publishConfirmed(q, 'hello');
      expect(e2e.broker.mqm.destinationStats(q).depth).to.equal(1);
      const error = await refusedAction(c, () => c.client.subscribe(q, () => undefined));
      expect(error.headers['message']).to.contain('read').and.contain(q);
    });

    it('needs create for a new name, but not for an existing one', async () => {
      const fresh = unique('/queue/shared.new');
      const writer = await login('writer');
      const error = await refusedAction(writer, () => writer.client.publish({ destination: fresh, body: 'x' }));
      expect(error.headers['message']).to.contain('create').and.contain(fresh);
      expect(e2e.broker.mqm.lookup(fresh)).to.equal(undefined);

      e2e.broker.mqm.createDestination(fresh);
      const again = await login('writer');
      await again.publishConfirmed(fresh, 'now it exists');

      const made = unique('/queue/made.by-maker');
      const maker = await login('maker');
      await maker.publishConfirmed(made, 'created by first use');
      expect(e2e.broker.mqm.lookup(made)).to.not.equal(undefined);
    });

    it('gives each user a ${user} home area, and nobody else’s', async () => {
      const c = await login('reader');
      const mine = await c.subscribe(unique('/queue/home.reader.inbox'));
      expect(mine.id).to.be.a('string');
      const other = unique('/queue/home.writer.inbox');
      const error = await refusedAction(c, () => c.client.subscribe(other, () => undefined));
      expect(error.headers['message']).to.contain(other);
    });

    it('lets deny override allow', async () => {
      if (!e2e.broker.mqm.lookup('/queue/payroll')) e2e.broker.mqm.createDestination('/queue/payroll');
      const intern = await login('intern');
      await intern.subscribe('/queue/payroll'); // staff may read it
      const error = await refusedAction(intern, () => intern.client.publish({ destination: '/queue/payroll', body: 'raise' }));
      expect(error.headers['message']).to.contain('write').and.contain('/queue/payroll');
      const carol = await login('carol');
      await carol.publishConfirmed('/queue/payroll', 'salaries');
    });

    it("refuses a non-admin's command, and runs an admin's", async () => {
      const writer = await login('writer');
      const error = await refusedAction(writer, () => writer.client.publish({ destination: '/command/list', body: '' }));
      expect(error.headers['message']).to.contain('admin').and.contain('/command/list');

      const alice = await login('alice');
      const replies = unique('/queue/replies');
      const sub = await alice.subscribe(replies);
      await alice.publishConfirmed('/command/list', '', { 'reply-to': replies });
      await sub.waitCount(1);
      expect(json(sub.messages[0]!)).to.include({ ok: true, command: 'list' });
    });
  });

  describe('TLS client certificates', () => {
    const tlsOptions = (withCert: boolean) => {
      const file = (name: string) => readFileSync(join(FIXTURES, 'tls', name));
      return {
        host: '127.0.0.1', port: e2e.tlsPort, ssl: true, servername: 'localhost', timeout: 5000, ca: file('ca.crt'),
        ...(withCert ? { cert: file('client.crt'), key: file('client.key') } : {}),
      };
    };
    const open = (withCert: boolean): Promise<StompitClient> => new Promise((resolve, reject) => {
      const client = stompit.connect(tlsOptions(withCert), (err, c) => (err ? reject(err) : resolve(c)));
      client.on('error', () => undefined);
      clients.track({ close: () => client.destroy() });
    });

    it('logs a client in by its certificate: CN=alice, with alice’s groups from the users file', async () => {
      const client = await open(true);
      const session = e2e.broker.mqm.listSessions().find((s) => s.id === client.headers['session']);
      expect(session?.user).to.equal('alice');
      // alice is in admins: she may run commands.
      await new Promise<void>((resolve) => client.send({ destination: '/command/list', receipt: 'r1' }, { onReceipt: resolve }).end(''));
    });

    it('refuses a TLS client without a certificate or a login: ERROR, then close', async () => {
      const file = (name: string) => readFileSync(join(FIXTURES, 'tls', name));
      const raw = await RawConnection.openTls(e2e.tlsPort, { servername: 'localhost', ca: file('ca.crt') }, clients);
      raw.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }));
      const error = await raw.waitFrame('ERROR');
      expect(error.headers['message']).to.equal('bad credentials');
      await raw.waitClosed();
    });
  });
});

describe('e2e: safe by default', function () {
  this.timeout(30000);
  const silent = createLogger('silent');
  const remote = [{ protocol: 'stomp', transport: 'tcp', host: '0.0.0.0', port: 0 }];

  async function startError(config: Record<string, unknown>, configDir?: string): Promise<unknown> {
    const broker = await Broker.create(config, { logger: silent, ...(configDir ? { configDir } : {}) });
    try {
      await broker.start();
    } catch (err) {
      return err;
    }
    await broker.stop();
    return undefined;
  }

  it('refuses to start on a non-loopback address while anonymous clients have every right', async () => {
    const err = await startError({ plugins: [...STANDARD_PLUGINS], listeners: remote });
    expect(err).to.be.instanceOf(WharfError);
    expect((err as WharfError).code).to.equal(ErrorCodes.UNSAFE);
    expect((err as WharfError).hint).to.contain('add users and rules').and.contain('allowAnonymousRemote: true');
  });

  it('refuses anonymous guests with rights on a non-loopback address, and starts once guests have none', async () => {
    const fixture = await writeSecurityFixture();
    try {
      const users = { use: '@wharf/security-users', options: { file: fixture.usersFile, anonymous: { groups: ['guest'] } } };
      const guestReads = { use: '@wharf/security-acl', options: { rules: [{ match: '^/topic/', groups: ['guest'], allow: ['read'] }] } };
      const adminsOnly = { use: '@wharf/security-acl', options: { rules: [{ match: '^/', groups: ['admins'], allow: ['read'] }] } };
      const refused = await startError({ plugins: [...STANDARD_PLUGINS, users, guestReads], listeners: remote });
      expect((refused as WharfError).code).to.equal(ErrorCodes.UNSAFE);
      expect(await startError({ plugins: [...STANDARD_PLUGINS, users, adminsOnly], listeners: remote })).to.equal(undefined);
      expect(await startError({ plugins: [...STANDARD_PLUGINS, users, guestReads], listeners: remote, security: { allowAnonymousRemote: true } }))
        .to.equal(undefined);
    } finally {
      await fixture.remove();
    }
  });

  it('starts the shipped secured example (users and rules on 0.0.0.0) and refuses clients without credentials', async () => {
    const { loadConfig } = await import('@wharf/config');
    const examples = join(FIXTURES, '../../../config/examples');
    const loaded = await loadConfig({ configPath: join(examples, 'secured.yaml') });
    const broker = await Broker.create({ ...loaded.config, listeners: remote }, { source: loaded.source, logger: silent });
    await broker.start();
    const tracker = new Tracker();
    try {
      const port = broker.listeners[0]!.port;
      const err = await stompOverTcp(port, {}, tracker).then(() => undefined, (e: unknown) => e);
      expect(String(err)).to.contain('bad credentials');
    } finally {
      await tracker.closeAll();
      await broker.stop();
    }
  });
});

describe('e2e: credentials never leak', function () {
  this.timeout(30000);

  it('keeps passcodes out of logs (at trace level), ERROR texts and MESSAGE headers', async () => {
    const fixture = await writeSecurityFixture();
    const lines: string[] = [];
    const logger = createLogger('trace', new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString()); done(); } }));
    const broker = await Broker.create({
      plugins: [...STANDARD_PLUGINS, ...securityPlugins(fixture, { throttle: { baseDelayMs: 1, maxDelayMs: 5 } })],
      listeners: [{ protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0 }],
      log: { level: 'trace' },
    }, { logger });
    await broker.start();
    const tracker = new Tracker();
    try {
      const port = broker.listeners[0]!.port;
      const wrong = await stompOverTcp(port, { connectHeaders: { login: 'carol', passcode: 'secret-guess-1' } }, tracker)
        .then(() => 'let in', (e: Error) => e.message);
      expect(wrong).to.contain('bad credentials').and.not.contain('secret-guess-1');
      const typo = await stompOverTcp(port, { connectHeaders: { login: 'typed-secret-as-login', passcode: 'x' } }, tracker)
        .then(() => 'let in', (e: Error) => e.message);
      expect(typo).to.not.contain('typed-secret-as-login');

      const carol = await stompOverTcp(port, { connectHeaders: { login: 'carol', passcode: PASSWORD('carol') } }, tracker);
      broker.mqm.createDestination('/queue/payroll');
      const sub = await carol.subscribe('/queue/payroll');
      await carol.publishConfirmed('/queue/payroll', 'body', { login: 'carol', passcode: PASSWORD('carol'), note: 'kept' });
      await sub.waitCount(1);
      expect(sub.messages[0]!.headers).to.include({ note: 'kept' });
      expect(sub.messages[0]!.headers).to.not.have.any.keys('login', 'passcode');

      carol.client.publish({ destination: '/command/list', body: '' });
      const refusal = await carol.nextError();
      expect(refusal.headers['message']).to.contain('admin');
    } finally {
      await tracker.closeAll();
      await broker.stop();
      await fixture.remove();
    }
    const log = lines.join('');
    expect(log).to.contain('carol'); // user names are logged ...
    expect(log).to.not.contain('secret-guess-1').and.not.contain(PASSWORD('carol')).and.not.contain('typed-secret-as-login');
  });
});
