/**
 * `wharf acl explain` agrees with the running broker: for several users (in the users file, with
 * and without a password, unknown, anonymous) × destinations × rights, the answer of explainAccess
 * is compared with what a broker started from the same config file actually lets a session
 * authenticated as that user do through the MQM's reference methods.
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_RIGHTS, Broker, createLogger, ErrorCodes, WharfError, type ClientSession, type Right } from '@wharf/core';
import { loadConfig } from '@wharf/config';
import { hashPassword, setUserInText, writeFileAtomically } from '@wharf/security-users';
import { connectClient, message, RecordingConsumer } from '@wharf/testkit';
import { explainAccess } from '../src/commands/acl-explain.js';

const CONFIG = `plugins:
  - "@wharf/queue-topic"
  - "@wharf/queue-queue"
  - "@wharf/queue-pubsub"
  - "@wharf/queue-command"
  - use: "@wharf/security-users"
    options: { file: users.yaml, anonymous: { groups: [guest] }, throttle: { baseDelayMs: 0, maxDelayMs: 0 } }
  - use: "@wharf/security-acl"
    options:
      file: acl.yaml
      rules:
        - { match: '^/', groups: [admins], allow: [create, read, write, admin] }
        - { match: '^/queue/dev\\.', groups: [devs], allow: [create, read, write] }
        - { match: '^/queue/dev\\.secret', groups: [devs], deny: [read] }
        - { match: '^/topic/news', groups: [guest], allow: [read] }
        - { match: '^/queue/home\\.\${user}\\.', users: ['*'], allow: [create, read, write] }
`;
const RULES_FILE = "rules:\n  - { match: '^/queue/shared', users: [carol], allow: [write, read] }\n";
const PASSWORDS: Record<string, string> = { alice: 'pw-alice', bob: 'pw-bob', carol: 'pw-carol' };
const USERS = ['alice', 'bob', 'carol', 'device', 'zed', 'anonymous'];
const DESTINATIONS = ['/queue/dev.build', '/queue/dev.secret', '/queue/home.bob.inbox', '/queue/home.carol.inbox', '/queue/shared', '/topic/news', '/queue/other'];

/** Runs one reference method; true when allowed, false on ACCESS_DENIED, anything else fails the test. */
async function allowed(run: () => unknown): Promise<boolean> {
  try {
    await run();
    return true;
  } catch (err) {
    if (err instanceof WharfError && err.code === ErrorCodes.ACCESS_DENIED) return false;
    throw err;
  }
}

describe('wharf acl explain answers as the running broker decides', function () {
  this.timeout(60000);
  let dir: string;
  let configFile: string;
  let broker: Broker;
  let admin: ClientSession;
  let fresh = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-acl-live-'));
    configFile = join(dir, 'wharf.config.yaml');
    await writeFile(configFile, CONFIG);
    await writeFile(join(dir, 'acl.yaml'), RULES_FILE);
    let users = '';
    for (const [name, groups] of [['alice', ['admins']], ['bob', ['devs']], ['carol', []]] as const) {
      users = setUserInText(users, name, await hashPassword(PASSWORDS[name]!), groups);
    }
    // device may only log in with a client certificate, and certificates are off.
    await writeFileAtomically(join(dir, 'users.yaml'), `${users.trimEnd()}\n  device: { groups: [admins] }\n`);
    const loaded = await loadConfig({ configPath: configFile });
    broker = await Broker.create(loaded.config, { source: loaded.source, logger: createLogger('silent') });
    await broker.start();
    admin = (await connectClient(broker, { login: 'alice', passcode: PASSWORDS.alice })).session;
    // Every destination exists and stays (a topic lives while it has a subscriber), so read, write
    // and admin need only their own right.
    for (const destination of DESTINATIONS) admin.subscribe(destination, new RecordingConsumer(admin));
  });

  after(async () => {
    await broker?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * What the broker lets `user` do on `destination`: read, write and admin (create is compared on
   * names that do not exist yet, in the next test). Undefined: the broker refuses the login.
   */
  async function brokerDecisions(user: string, destination: string): Promise<Map<Right, boolean> | undefined> {
    const credentials = user === 'anonymous' ? {} : { login: user, passcode: PASSWORDS[user] ?? 'no-password' };
    const client = await connectClient(broker, credentials).catch((err: unknown) => {
      if (err instanceof WharfError && err.code === ErrorCodes.BAD_CREDENTIALS) return undefined;
      throw err;
    });
    if (client === undefined) return undefined;
    const session = client.session;
    const decisions = new Map<Right, boolean>([
      ['read', await allowed(() => session.unsubscribe(session.subscribe(destination, new RecordingConsumer(session))))],
      ['write', await allowed(() => session.send(destination, message('probe')))],
      ['admin', await allowed(() => session.stats(destination))],
    ]);
    session.close('probe done');
    return decisions;
  }

  it('gives the same rights as the broker for every user, destination and right', async () => {
    const disagreements: string[] = [];
    let compared = 0;
    for (const user of USERS) {
      for (const destination of DESTINATIONS) {
        const explained = await explainAccess(destination, { user, config: configFile });
        const actual = await brokerDecisions(user, destination);
        if (actual === undefined) {
          if (explained.principal !== undefined || explained.rights.size > 0) disagreements.push(`${user}: the broker refuses the login, explain gives ${[...explained.rights]}`);
          compared++;
          continue;
        }
        for (const right of ALL_RIGHTS) {
          if (right === 'create') continue;
          compared++;
          if (explained.rights.has(right) !== actual.get(right)) {
            disagreements.push(`${user} ${right} ${destination}: explain says ${explained.rights.has(right)}, the broker ${actual.get(right)}`);
          }
        }
      }
    }
    expect(disagreements).to.deep.equal([]);
    // 4 users who log in × 7 destinations × 3 rights, and 2 refused users × 7 destinations.
    expect(compared).to.equal(98);
  });

  it('compares create on a name that does not exist yet', async () => {
    const disagreements: string[] = [];
    for (const user of ['alice', 'bob', 'carol', 'anonymous']) {
      for (const destination of ['/queue/dev.build', '/queue/home.bob.inbox', '/queue/other']) {
        const name = `${destination}.c${++fresh}`;
        const explained = (await explainAccess(name, { user, config: configFile })).rights.has('create');
        const client = await connectClient(broker, user === 'anonymous' ? {} : { login: user, passcode: PASSWORDS[user]! });
        const actual = await allowed(() => client.session.create(name));
        client.session.close('done');
        if (explained !== actual) disagreements.push(`${user} create ${name}: explain says ${explained}, the broker ${actual}`);
      }
    }
    expect(disagreements).to.deep.equal([]);
  });

  it('takes groups from the users file: an admin gets admin on /command/list, as the broker gives', async () => {
    const explained = await explainAccess('/command/list', { user: 'alice', config: configFile });
    expect([...explained.rights]).to.include('admin');
    expect(explained.lines[0]).to.contain('groups: admins');
    const alice = await connectClient(broker, { login: 'alice', passcode: PASSWORDS.alice });
    expect(await allowed(() => alice.session.list())).to.equal(true);
    const bob = await connectClient(broker, { login: 'bob', passcode: PASSWORDS.bob });
    expect(await allowed(() => bob.session.list())).to.equal(false);
    expect((await explainAccess('/command/list', { user: 'bob', config: configFile })).rights.has('admin')).to.equal(false);
  });

  it('says so for a user the broker would not let in, and for anonymous uses the configured groups', async () => {
    const unknown = await explainAccess('/queue/other', { user: 'zed', config: configFile });
    expect(unknown.principal).to.equal(undefined);
    expect(unknown.lines.join('\n')).to.contain('zed is not in').and.contain('no client can log in as zed');
    const device = await explainAccess('/queue/other', { user: 'device', config: configFile });
    expect(device.lines.join('\n')).to.contain('has no password').and.contain('certificates are off');
    const anonymous = await explainAccess('/topic/news', { user: 'anonymous', config: configFile });
    expect(anonymous.principal).to.deep.include({ name: 'anonymous', anonymous: true });
    expect(anonymous.principal!.groups).to.deep.equal(['guest']);
    expect([...anonymous.rights]).to.deep.equal(['read']);
  });
});
