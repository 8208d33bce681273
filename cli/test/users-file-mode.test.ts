/**
 * The users file holds scrypt hashes (issue 15, item 6): `wharf users add/remove` leave it mode
 * 0600 whatever it was, refuse credentials no STOMP client could send, and the broker warns at
 * start when the file is open to group or others.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES, parseUsersFile, verifyPassword } from '@wharf/security-users';

const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url));
const posix = process.platform !== 'win32';

function wharf(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

const modeOf = async (file: string): Promise<number> => (await stat(file)).mode & 0o777;

/** Starts and stops a broker with the users plugin over `file`; returns the warnings it logged about that file. */
async function warningsAtStart(file: string): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  const broker = await Broker.create({
    plugins: [{ use: '@wharf/security-users', options: { file, watch: false } }],
    routing: { prefixes: {}, fallback: 'reject' },
  }, { configDir: tmpdir(), logger: createLogger('info', sink) });
  await broker.start();
  await broker.stop();
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((entry) => entry.level === 40 && entry.file === file);
}

describe('wharf users: the users file stays private', function () {
  this.timeout(30000);
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-users-mode-'));
    file = join(dir, 'users.yaml');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  (posix ? it : it.skip)('users add on a 0644 file leaves it 0600, keeping its comments and users, with no temp file left', async () => {
    await writeFile(file, '# shipped example\nusers:\n  carol: { groups: [staff] }\n');
    await chmod(file, 0o644);
    const { code, stderr } = await wharf(['users', 'add', 'alice', '-g', 'admins', '--file', file], 'pw-alice\n');
    expect(code, stderr).to.equal(0);
    expect(await modeOf(file)).to.equal(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).to.contain('# shipped example');
    const users = parseUsersFile(text, file);
    expect([...users.keys()]).to.deep.equal(['carol', 'alice']);
    expect(await verifyPassword('pw-alice', users.get('alice')!.password!)).to.equal(true);
    expect(await readdir(dir)).to.deep.equal(['users.yaml']);
  });

  (posix ? it : it.skip)('a new users file is 0600, and users remove on a 0644 file leaves it 0600', async () => {
    expect((await wharf(['users', 'add', 'bob', '--file', file], 'pw-bob\n')).code).to.equal(0);
    expect(await modeOf(file)).to.equal(0o600);
    await chmod(file, 0o664);
    const removed = await wharf(['users', 'remove', 'bob', '--file', file], '');
    expect(removed.code, removed.stderr).to.equal(0);
    expect(await modeOf(file)).to.equal(0o600);
  });

  it(`refuses a password over ${MAX_PASSWORD_BYTES} bytes of UTF-8 (exit 1, the limit named, the password not echoed), changing nothing`, async () => {
    await writeFile(file, 'users:\n');
    const before = await readFile(file, 'utf8');
    // 600 two-byte characters: 600 characters but 1,200 bytes, so the limit is in bytes.
    const long = 'é'.repeat(600);
    const { code, stdout, stderr } = await wharf(['users', 'add', 'alice', '--file', file], `${long}\n`);
    expect(code).to.equal(1);
    expect(stderr).to.contain('the password is 1200 bytes of UTF-8; the limit is 1024').and.contain('nothing was changed');
    expect(stdout + stderr).to.not.contain(long);
    expect(await readFile(file, 'utf8')).to.equal(before);
    // Exactly at the limit is accepted.
    const atLimit = 'p'.repeat(MAX_PASSWORD_BYTES);
    expect((await wharf(['users', 'add', 'alice', '--file', file], `${atLimit}\n`)).code).to.equal(0);
    expect(await verifyPassword(atLimit, parseUsersFile(await readFile(file, 'utf8'), file).get('alice')!.password!)).to.equal(true);
  });

  it('refuses a password with a NUL or a lone carriage return, which no passcode header can carry', async () => {
    for (const password of ['a\0b', 'a\rb']) {
      const { code, stderr } = await wharf(['users', 'add', 'alice', '--file', file], `${password}\n`);
      expect(code, JSON.stringify(password)).to.equal(1);
      expect(stderr).to.contain('a STOMP passcode header cannot carry');
    }
  });

  it(`refuses a user name over ${MAX_USER_NAME_BYTES} characters or with a control character, before asking for a password`, async () => {
    const long = await wharf(['users', 'add', 'u'.repeat(MAX_USER_NAME_BYTES + 1), '--file', file], 'pw\n');
    expect(long.code).to.equal(1);
    expect(long.stderr).to.contain('is not a valid user name: a user name is 1 to 64');
    const control = await wharf(['users', 'add', 'bell\u0007', '--file', file], 'pw\n');
    expect(control.code).to.equal(1);
    expect(control.stderr).to.contain('is not a valid user name');
  });

  (posix ? it : it.skip)('the broker warns once at start for a 0644 users file, naming it and chmod 600; not once users add made it 0600', async () => {
    await writeFile(file, 'users:\n  carol: { groups: [staff] }\n');
    await chmod(file, 0o644);
    const warned = await warningsAtStart(file);
    expect(warned).to.have.length(1);
    expect(warned[0]!.msg).to.contain('UNPROTECTED USERS FILE').and.contain(file).and.contain(`chmod 600 ${file}`);
    expect(warned[0]).to.include({ file, mode: '0644' });
    expect(warned[0]!.msg).to.not.match(/scrypt\$/);
    await chmod(file, 0o640); // group-readable is open too
    expect(await warningsAtStart(file)).to.have.length(1);

    expect((await wharf(['users', 'add', 'alice', '--file', file], 'pw-alice\n')).code).to.equal(0);
    expect(await warningsAtStart(file)).to.deep.equal([]);
  });
});
