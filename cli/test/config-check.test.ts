/** `wharf config check` reports every problem it can find in one run, and says what it could not check and why. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url));

function check(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'config', 'check', '--config', file], { timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const QUEUE_TYPES = `  - "@wharf/queue-topic"
  - "@wharf/queue-queue"
  - "@wharf/queue-pubsub"
  - "@wharf/queue-command"
`;

describe('wharf config check: every problem in one run', function () {
  this.timeout(30000);
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'wharf-check-')); });
  after(() => rm(dir, { recursive: true, force: true }));

  async function write(name: string, text: string): Promise<string> {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  }

  it('a bad ACL regex, a mistyped rule key, a bad listener option and a bad routing rule: all four, each at its line', async () => {
    const file = await write('four.yaml', `plugins:
${QUEUE_TYPES}  - "@wharf/protocol-stomp"
  - use: "@wharf/security-acl"
    options:
      rules:
        - { match: '^/queue/(', groups: [admins], allow: [read] }
        - { match: '^/x', grups: [admins], allow: [read] }
listeners:
  - protocol: stomp
    port: 0
    options: { maxBodyBytez: 5 }
routing:
  rules:
    - { match: '^/jobs/', type: queu }
`);
    const { code, stderr } = await check(file);
    expect(code).to.equal(1);
    expect(stderr).to.match(/four\.yaml:10:\d+ plugins\[5\]\.options\.rules\[0\]\.match: not a valid regular expression/);
    expect(stderr).to.match(/four\.yaml:11:\d+ plugins\[5\]\.options\.rules\[1\]\.grups: unknown key "grups"/).and.contain('did you mean "groups"?');
    expect(stderr).to.match(/four\.yaml:11:\d+ plugins\[5\]\.options\.rules\[1\]: needs "users" or "groups"/);
    expect(stderr).to.not.contain('missing required key "users"');
    expect(stderr).to.match(/four\.yaml:15:\d+ listeners\[0\]\.options\.maxBodyBytez: unknown key/);
    expect(stderr).to.match(/four\.yaml:18:\d+ routing\.rules\[0\]\.type: unknown queue type "queu"/);
    expect(stderr).to.contain('has 5 problems');
  });

  it('a missing plugin does not hide a bad listener option, and what it keeps from being checked is said', async () => {
    const file = await write('missing.yaml', `plugins:
${QUEUE_TYPES}  - "@wharf/protocol-stomp"
  - ./no-such-plugin.mjs
listeners:
  - { protocol: stomp, port: 0, options: { heartBeatGrace: 0 } }
  - { protocol: jsonl, port: 0, options: { anything: 1 } }
`);
    const { code, stderr } = await check(file);
    expect(code).to.equal(1);
    expect(stderr).to.match(/missing\.yaml:7:\d+ plugins\[5\]: plugin \.\/no-such-plugin\.mjs was not found \[WHARF_ERR_PLUGIN_NOT_FOUND\]/);
    expect(stderr).to.match(/missing\.yaml:9:\d+ listeners\[0\]\.options\.heartBeatGrace/);
    expect(stderr).to.contain('not checked');
    expect(stderr).to.match(/listeners\[1\]\.protocol: the protocol "jsonl" and the options of this listener: no plugin that loaded provides it, and \.\/no-such-plugin\.mjs \([^)]*missing\.yaml:7 plugins\[5\]\) could not be loaded/);
  });

  it('a problem in a file a plugin reads (the users file) is reported with that file and line, beside the config\'s own', async () => {
    await write('users.yaml', 'users:\n  alice: { grups: [a] }\n');
    const file = await write('users-bad.yaml', `plugins:
${QUEUE_TYPES}  - use: "@wharf/security-users"
    options: { file: users.yaml }
routing: { fallback: queu }
`);
    const { code, stderr } = await check(file);
    expect(code).to.equal(1);
    expect(stderr).to.match(/users\.yaml:2:\d+ users\.alice\.grups: unknown key "grups"/).and.contain('did you mean "groups"?');
    expect(stderr).to.match(/users-bad\.yaml:8:\d+ routing\.fallback: unknown queue type "queu"/);
  });

  it('the unsafe-start refusal names the anonymous option and the rule that grants it a right, with their lines, and the fixes', async () => {
    await write('people.yaml', 'users:\n  alice: { groups: [admins] }\n');
    const file = await write('unsafe.yaml', `plugins:
${QUEUE_TYPES}  - "@wharf/protocol-stomp"
  - use: "@wharf/security-users"
    options:
      file: people.yaml
      anonymous: { groups: [guest] }
  - use: "@wharf/security-acl"
    options:
      rules:
        - { match: '^/queue/', groups: [admins], allow: [read, write] }
        - { match: '^/topic/', groups: [guest], allow: [read] }
listeners:
  - { protocol: stomp, host: 0.0.0.0, port: 61613 }
`);
    const { code, stderr } = await check(file);
    expect(code).to.equal(1);
    expect(stderr).to.contain('WHARF_ERR_UNSAFE').and.contain('as "anonymous" (groups: guest)');
    expect(stderr).to.match(/let in by \S*unsafe\.yaml:10 plugins\[5\]\.options\.anonymous: anonymous: \{ groups: \[guest\] \}/);
    expect(stderr).to.match(/granted by \S*unsafe\.yaml:15 plugins\[6\]\.options\.rules\[1\]: match '\^\/topic\/' for groups \[guest\] allows read/);
    expect(stderr).to.not.match(/granted by .*rules\[0\]/);
    expect(stderr).to.contain('remove the anonymous option of security-users').and.contain('change the rule above').and.contain('allowAnonymousRemote: true');
    expect(stderr).to.not.contain('add users and rules');
  });
});
