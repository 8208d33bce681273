/** `wharf users add/remove` and `wharf acl explain`, run as a user runs them: a child process. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUsersFile, verifyPassword } from '@wharf/security-users';

const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url));

function wharf(args: string[], options: { cwd?: string; stdin?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [bin, ...args], { cwd: options.cwd ?? process.cwd(), timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin!.end(options.stdin ?? '');
  });
}

const CONFIG = `# a secured broker
plugins:
  - use: "@wharf/security-users"
    options: { file: users/users.yaml }
  - use: "@wharf/security-acl"
    options:
      file: acl.yaml
      rules:
        - { match: '^/queue/', groups: [staff], allow: [read, write] }
        - { match: '^/queue/home\\.\${user}\\.', users: ['*'], allow: [create, read, write] }
routing: { prefixes: {}, fallback: reject }
`;

describe('wharf users and acl', function () {
  this.timeout(30000);
  let dir: string;
  const usersFile = () => join(dir, 'users', 'users.yaml');

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-cli-security-'));
    await writeFile(join(dir, 'wharf.config.yaml'), CONFIG);
    await writeFile(join(dir, 'acl.yaml'), "rules:\n  - { match: '^/queue/payroll$', groups: [interns], deny: [write] }\n");
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'users'));
    await writeFile(usersFile(), '# people\nusers:\n');
  });

  it('users add reads the password from stdin and writes only its scrypt hash, into the file the config names', async () => {
    const { code, stdout, stderr } = await wharf(['users', 'add', 'alice', '--group', 'staff', '--group', 'interns'], { cwd: dir, stdin: 'alice-pw-1\n' });
    expect(code, stderr).to.equal(0);
    expect(stdout).to.contain('added user alice (groups: staff, interns)');
    const text = await readFile(usersFile(), 'utf8');
    expect(text).to.contain('# people').and.not.contain('alice-pw-1');
    const alice = parseUsersFile(text, usersFile()).get('alice')!;
    expect(alice.groups).to.deep.equal(['staff', 'interns']);
    expect(await verifyPassword('alice-pw-1', alice.password!)).to.equal(true);
  });

  it('users add with --file, repeated --group, replacing an existing user', async () => {
    const file = join(dir, 'other.yaml');
    expect((await wharf(['users', 'add', 'bob', '-g', 'a', '--file', file], { stdin: 'b1\n' })).code).to.equal(0);
    const again = await wharf(['users', 'add', 'bob', '-g', 'b', '-g', 'c', '--file', file], { stdin: 'b2\n' });
    expect(again.stdout).to.contain('updated user bob');
    const bob = parseUsersFile(await readFile(file, 'utf8'), file).get('bob')!;
    expect(bob.groups).to.deep.equal(['b', 'c']);
    expect(await verifyPassword('b2', bob.password!)).to.equal(true);
  });

  it('users add refuses an empty password or a reserved name, changing nothing', async () => {
    const before = await readFile(usersFile(), 'utf8');
    const empty = await wharf(['users', 'add', 'carol'], { cwd: dir, stdin: '\n' });
    expect(empty.code).to.equal(1);
    expect(empty.stderr).to.contain('password is empty');
    const reserved = await wharf(['users', 'add', 'anonymous'], { cwd: dir, stdin: 'x\n' });
    expect(reserved.code).to.equal(1);
    expect(reserved.stderr).to.contain('reserved');
    expect(await readFile(usersFile(), 'utf8')).to.equal(before);
  });

  it('users remove removes a user, and exits 1 for one that is not there', async () => {
    await wharf(['users', 'add', 'temp'], { cwd: dir, stdin: 'x\n' });
    const removed = await wharf(['users', 'remove', 'temp'], { cwd: dir });
    expect(removed.code).to.equal(0);
    expect(parseUsersFile(await readFile(usersFile(), 'utf8'), 'u').has('temp')).to.equal(false);
    const missing = await wharf(['users', 'remove', 'temp'], { cwd: dir });
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain('no user temp');
  });

  it('users add without a users file in the config says how to name one', async () => {
    const { code, stderr } = await wharf(['users', 'add', 'x', '--config', join(dir, 'acl.yaml')], { stdin: 'x\n' });
    expect(code).to.equal(1);
    expect(stderr).to.contain('WHARF_ERR_CONFIG');
  });

  it('acl explain takes the user\'s groups from the users file and prints the rights and the rules that gave them', async () => {
    const { code, stdout } = await wharf(['acl', 'explain', '--user', 'alice', '/queue/payroll'], { cwd: dir });
    expect(code).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.equal(`alice (groups: staff, interns; ${join('users', 'users.yaml')}) on /queue/payroll: read`);
    expect(stdout).to.match(/matches +options\.rules\[0\] +'\^\/queue\/' +allow read, write/);
    expect(stdout).to.match(/matches +acl\.yaml:2 rules\[0\] +'\^\/queue\/payroll\$' +deny write/);
    expect(stdout).to.match(/no match +options\.rules\[1\]/);
  });

  it('acl explain says a user not in the users file gets nothing (exit 1), and answers "what if" for --group', async () => {
    const { code, stdout } = await wharf(['acl', 'explain', '--user', 'ivy', '--group', 'staff', '/queue/x'], { cwd: dir });
    expect(code).to.equal(1);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).to.equal('ivy on /queue/x: nothing');
    expect(lines[1]).to.contain(`ivy is not in ${join('users', 'users.yaml')}, so no client can log in as ivy`);
    expect(stdout).to.contain('as if ivy had the groups staff: read, write');
  });

  it('acl explain for anonymous: refused without the anonymous option', async () => {
    const { code, stdout } = await wharf(['acl', 'explain', '--user', 'anonymous', '/queue/x'], { cwd: dir });
    expect(code).to.equal(1);
    expect(stdout).to.contain('anonymous on /queue/x: nothing').and.contain('clients without credentials are refused');
  });

  it('acl explain --file reads a rules file directly', async () => {
    const { code, stdout } = await wharf(['acl', 'explain', '-u', 'i', '-g', 'interns', '--file', join(dir, 'acl.yaml'), '/queue/payroll']);
    expect(code).to.equal(1);
    expect(stdout).to.contain('deny write');
  });

  it('acl explain on a config without the ACL plugin says every right is granted', async () => {
    const plain = await mkdtemp(join(tmpdir(), 'wharf-cli-plain-'));
    await writeFile(join(plain, 'wharf.config.yaml'), 'routing: { prefixes: {}, fallback: reject }\n');
    const { code, stdout } = await wharf(['acl', 'explain', '--user', 'x', '/queue/a'], { cwd: plain });
    expect(code).to.equal(0);
    expect(stdout).to.contain('create, read, write, admin').and.contain('no ACL plugin');
  });
});
