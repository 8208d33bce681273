/**
 * Attack: reading another user's home queue (issue 15, item 4). With users "bob" and "bob.x" and the
 * shipped rule `^/queue/home\.${user}\.`, bob could SUBSCRIBE to /queue/home.bob.x.inbox, because
 * `home.bob.` is a prefix of `home.bob.x.`. Names are now limited to A-Z a-z 0-9 _ - (docs/security.md,
 * "User names and home destinations"), so the nearest pair that can exist is bob and bob_x. Here a
 * real broker runs the shipped example's ACL rules; bob attacks over STOMP.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Broker, ConfigError, createLogger, type PluginEntry } from '@wharf/core';
import { hashPassword, setUserInText } from '@wharf/security-users';
import { FIXTURES, STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { Tracker, stompOverTcp, unique, type StompClient } from './helpers.js';

const PASSWORDS: Record<string, string> = { bob: 'pw-of-bob', bob_x: 'pw-of-bob_x' };

/** The ACL plugin entry of the shipped secured example, rules and all. */
async function shippedAcl(): Promise<PluginEntry> {
  const { loadConfig } = await import('@wharf/config');
  const loaded = await loadConfig({ configPath: join(FIXTURES, '../../../config/examples/secured.yaml') });
  const acl = loaded.config.plugins?.find((p) => typeof p === 'object' && 'use' in p && p.use === '@wharf/security-acl');
  expect(acl, 'the shipped example loads @wharf/security-acl').to.not.equal(undefined);
  const rules = (acl as unknown as { options: { rules: Array<{ match: string }> } }).options.rules;
  expect(rules.map((r) => r.match), 'the shipped home rule').to.include('^/queue/home\\.${user}\\.');
  return acl as PluginEntry;
}

describe('e2e attack: another user’s home queue', function () {
  this.timeout(30000);
  let dir: string;
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-e2e-home-'));
    let text = '';
    for (const [name, password] of Object.entries(PASSWORDS)) text = setUserInText(text, name, await hashPassword(password), []);
    await writeFile(join(dir, 'users.yaml'), text, { mode: 0o600 });
    e2e = await startE2eBroker({
      plugins: [
        ...STANDARD_PLUGINS,
        { use: '@wharf/security-users', options: { file: join(dir, 'users.yaml'), throttle: { baseDelayMs: 1, maxDelayMs: 4 } } },
        await shippedAcl(),
      ],
    });
  });
  afterEach(() => clients.closeAll());
  after(async () => {
    await e2e?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const login = (user: string): Promise<StompClient> =>
    stompOverTcp(e2e.tcpPort, { connectHeaders: { login: user, passcode: PASSWORDS[user]! } }, clients);

  it('bob’s SUBSCRIBE to bob_x’s home gets an ERROR with a message header, and bob_x’s messages stay unread', async () => {
    const home = unique('/queue/home.bob_x.inbox');
    const owner = await login('bob_x');
    for (const body of ['one', 'two', 'three']) await owner.publishConfirmed(home, body);

    const bob = await login('bob');
    const got: string[] = [];
    bob.client.subscribe(home, (m) => got.push(m.body));
    const error = await bob.nextError();
    expect(error.headers['message'], 'the ERROR names the refused destination').to.be.a('string').that.contains(home);
    await bob.waitClosed();
    expect(got, 'bob received nothing').to.deep.equal([]);

    // Every message is still there for its owner, in order.
    const mine = await owner.subscribe(home);
    expect((await mine.waitCount(3)).map((m) => m.body)).to.deep.equal(['one', 'two', 'three']);
  });

  it('bob may not even look like bob_x: home.bob_x is not under home.bob. (and bob keeps his own)', async () => {
    const bob = await login('bob');
    const own = await bob.subscribe(unique('/queue/home.bob.inbox'));
    expect(own.id).to.be.a('string');
    bob.client.publish({ destination: unique('/queue/home.bob_x.inbox'), body: 'spoof' });
    const error = await bob.nextError();
    expect(error.headers['message']).to.be.a('string').that.contains('/queue/home.bob_x.inbox');
  });

  it('refuses to start with a users file naming "bob.x" (the name that overlapped), with its line', async () => {
    const bad = join(dir, 'bad-users.yaml');
    await writeFile(bad, `users:\n  bob: { groups: [] }\n  bob.x: { groups: [] }\n`, { mode: 0o600 });
    const broker = await Broker.create({
      plugins: [...STANDARD_PLUGINS, { use: '@wharf/security-users', options: { file: bad } }, await shippedAcl()],
      listeners: [{ protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0 }],
    }, { configDir: FIXTURES, logger: createLogger('silent') });
    const err = await broker.start().then(() => undefined, (e: unknown) => e);
    await broker.stop().catch(() => undefined);
    // The plugin's start fails with the users file's ConfigError as its cause.
    expect(err).to.be.instanceOf(Error);
    const cause = (err as Error).cause;
    expect(cause).to.be.instanceOf(ConfigError);
    expect((cause as ConfigError).message).to.match(/bad-users\.yaml:3:\d+ .*"bob\.x" is not a valid user name/);
  });
});
