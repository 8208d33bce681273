/**
 * Attack item 6 of issue 15, "Files and secrets", against a real broker: the users file the tools
 * write is 0600; a users file or TLS private key open to group or others is named at start with
 * the fix (`chmod 600 FILE`), a warning and not a refusal; and the longest password and user name
 * `wharf users add` accepts still log in through the STOMP listener's default limits.
 */
import { chmod, copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { Broker, createLogger } from '@wharf/core';
import {
  MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES, hashPassword, readTextOrEmpty, setUserInText, writeFileAtomically,
} from '@wharf/security-users';
import { FIXTURES, STANDARD_PLUGINS } from './broker.js';
import { RawConnection, Tracker, frame } from './helpers.js';

const posix = process.platform !== 'win32';

interface Started {
  readonly broker: Broker;
  readonly tcpPort: number;
  /** The warnings logged about `file` while starting. */
  warningsAbout(file: string): Array<Record<string, unknown>>;
}

describe('e2e attack: files and secrets', function () {
  this.timeout(30000);
  let dir: string;
  let usersFile: string;
  let keyFile: string;
  const clients = new Tracker();
  const running: Broker[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-e2e-files-'));
    usersFile = join(dir, 'users.yaml');
    keyFile = join(dir, 'server.key');
    await copyFile(join(FIXTURES, 'tls', 'server.crt'), join(dir, 'server.crt'));
    await copyFile(join(FIXTURES, 'tls', 'server.key'), keyFile);
  });
  afterEach(async () => {
    clients.closeAll();
    await Promise.all(running.splice(0).map((b) => b.stop()));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function addUser(name: string, password: string): Promise<void> {
    await writeFileAtomically(usersFile, setUserInText(await readTextOrEmpty(usersFile), name, await hashPassword(password), ['staff']));
  }

  async function start(): Promise<Started> {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
    const broker = await Broker.create({
      plugins: [...STANDARD_PLUGINS, { use: '@wharf/security-users', options: { file: usersFile, watch: false } }],
      listeners: [
        { protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0 },
        { protocol: 'stomp', transport: 'tls', host: '127.0.0.1', port: 0, tls: { cert: 'server.crt', key: 'server.key' } },
        { protocol: 'stomp', transport: 'ws', host: '127.0.0.1', port: 0, path: '/ws', tls: { cert: 'server.crt', key: 'server.key' } },
      ],
    }, { configDir: dir, logger: createLogger('info', sink) });
    await broker.start();
    running.push(broker);
    return {
      broker,
      tcpPort: broker.listeners[0]!.port,
      warningsAbout: (file) => lines.map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((entry) => entry.level === 40 && entry.file === file),
    };
  }

  (posix ? it : it.skip)('warns once for a 0644 users file and a 0644 TLS key, naming each and chmod 600, and starts anyway', async () => {
    await addUser('alice', 'pw-alice');
    expect((await stat(usersFile)).mode & 0o777, 'the users file as written').to.equal(0o600);
    await chmod(usersFile, 0o644);
    await chmod(keyFile, 0o644);
    const started = await start();
    const users = started.warningsAbout(usersFile);
    const key = started.warningsAbout(keyFile);
    expect(users).to.have.length(1);
    expect(users[0]!.msg).to.contain('UNPROTECTED USERS FILE').and.contain(`chmod 600 ${usersFile}`);
    expect(key, 'once per listener that loads it: the TLS and the WebSocket (wss) one').to.have.length(2);
    expect(key[0]!.msg).to.contain('UNPROTECTED PRIVATE KEY FILE').and.contain(`chmod 600 ${keyFile}`);
    expect(key[0]).to.include({ mode: '0644' });
    // A warning, not a refusal: the broker serves logins.
    const conn = await RawConnection.open(started.tcpPort, clients);
    conn.write(frame('CONNECT', { 'accept-version': '1.2', host: 'wharf', login: 'alice', passcode: 'pw-alice' }, '', false));
    await conn.waitFrame('CONNECTED');
  });

  (posix ? it : it.skip)('says nothing about either file once both are 0600', async () => {
    await addUser('alice', 'pw-alice');
    await chmod(keyFile, 0o600);
    const started = await start();
    expect(started.warningsAbout(usersFile)).to.deep.equal([]);
    expect(started.warningsAbout(keyFile)).to.deep.equal([]);
  });

  it(`a user name of ${MAX_USER_NAME_BYTES} bytes with a password of ${MAX_PASSWORD_BYTES} bytes logs in over STOMP with the default limits`, async () => {
    const name = 'u'.repeat(MAX_USER_NAME_BYTES);
    const password = `${'€'.repeat(341)}x`; // 341 × 3 + 1 = 1,024 bytes of UTF-8
    expect(Buffer.byteLength(password)).to.equal(MAX_PASSWORD_BYTES);
    await addUser(name, password);
    const { tcpPort } = await start();
    const conn = await RawConnection.open(tcpPort, clients);
    conn.write(frame('CONNECT', { 'accept-version': '1.2', host: 'wharf', login: name, passcode: password }, '', false));
    const connected = await conn.waitFrame('CONNECTED');
    expect(connected.command).to.equal('CONNECTED');
  });
});
