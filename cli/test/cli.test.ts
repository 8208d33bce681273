/** The `wharf` command as a user runs it: a child process, its output and its exit code. */
import { expect } from 'chai';
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url));

function wharf(args: string[], cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: cwd ?? process.cwd(), timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const BAD = `plugins:
  - "@wharf/queue-topic"
  - "@wharf/queue-queue"
listners: []
routing:
  rules:
    - match: "^/jobs/(["
      type: queue
    - match: "^/x/"
      type: queu
log:
  level: 7
`;

describe('wharf CLI', function () {
  this.timeout(30000);
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-cli-'));
    await writeFile(join(dir, 'bad.yaml'), BAD);
    await writeFile(join(dir, 'unknown-type.yaml'), 'plugins: ["@wharf/queue-topic", "@wharf/queue-queue", "@wharf/queue-pubsub", "@wharf/queue-command"]\nrouting:\n  rules:\n    - match: "^/x/"\n      type: queu\n');
  });

  it('config check prints every schema error with its line and exits non-zero', async () => {
    const { code, stderr } = await wharf(['config', 'check', '--config', join(dir, 'bad.yaml')]);
    expect(code).to.equal(1);
    expect(stderr).to.contain('WHARF_ERR_CONFIG');
    expect(stderr).to.match(/bad\.yaml:4:\d+ listners: unknown key "listners"/);
    expect(stderr).to.contain('did you mean "listeners"');
    expect(stderr).to.match(/bad\.yaml:7:\d+ routing\.rules\[0\]\.match: not a valid regular expression/);
    expect(stderr).to.match(/bad\.yaml:12:\d+ log\.level/);
  });

  it('config check reports a queue type no plugin provides, with its line and the nearest name', async () => {
    const { code, stderr } = await wharf(['config', 'check', '--config', join(dir, 'unknown-type.yaml')]);
    expect(code).to.equal(1);
    expect(stderr).to.match(/unknown-type\.yaml:5:\d+ routing\.rules\[0\]\.type: unknown queue type "queu"/);
    expect(stderr).to.contain('did you mean "queue"');
  });

  it('config check refuses what start would refuse: anonymous rights on a listener open to the network', async () => {
    const open = 'plugins: ["@wharf/queue-topic", "@wharf/queue-queue", "@wharf/queue-pubsub", "@wharf/queue-command", "@wharf/protocol-stomp"]\nlisteners:\n  - { protocol: stomp, host: 0.0.0.0, port: 61613 }\n';
    await writeFile(join(dir, 'open.yaml'), open);
    const refused = await wharf(['config', 'check', '--config', join(dir, 'open.yaml')]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.contain('WHARF_ERR_UNSAFE').and.contain('0.0.0.0:61613').and.contain('allowAnonymousRemote');
    // Knowingly allowed: ok (and nothing was opened, so the port need not be free).
    await writeFile(join(dir, 'open-allowed.yaml'), `${open}security: { allowAnonymousRemote: true }\n`);
    const allowed = await wharf(['config', 'check', '--config', join(dir, 'open-allowed.yaml')]);
    expect(allowed.code, allowed.stderr).to.equal(0);
    expect(allowed.stdout).to.contain('open-allowed.yaml: ok');
  });

  it('config check accepts the shipped default config', async () => {
    const { code, stdout } = await wharf(['config', 'check'], dir);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.match(/wharf\.config\.yaml: ok/);
  });

  it('routes explain names the deciding rule or prefix', async () => {
    const { code, stdout } = await wharf(['routes', 'explain', '/queue/orders'], dir);
    expect(code).to.equal(0);
    expect(stdout.trim()).to.equal('/queue/orders -> queue (routing.prefixes "/queue/")');
    const topic = await wharf(['routes', 'explain', '/chat/room'], dir);
    expect(topic.stdout.trim()).to.equal('/chat/room -> topic (routing.fallback)');
  });

  it('a missing --config file is named, with exit code 1', async () => {
    const { code, stderr } = await wharf(['config', 'check', '--config', join(dir, 'nope.yaml')]);
    expect(code).to.equal(1);
    expect(stderr).to.contain('nope.yaml');
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const { code, stderr } = await wharf(['frobnicate']);
    expect(code).to.equal(2);
    expect(stderr).to.contain('unknown command');
  });

  it('start logs its listeners and stops cleanly on SIGINT', async () => {
    // The shipped config with ephemeral ports, so the test never collides with a running broker.
    const shipped = await readFile(fileURLToPath(new URL('../../../config/wharf.config.yaml', import.meta.url)), 'utf8');
    await writeFile(join(dir, 'ephemeral.yaml'), shipped.replace(/port: \d+/g, 'port: 0'));
    const child = spawn(process.execPath, [bin, 'start', '--config', 'ephemeral.yaml'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker did not get ready:\n${out}`)), 15000);
      child.stdout.on('data', () => {
        if (out.includes('broker ready')) { clearTimeout(timer); resolve(); }
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).to.equal(0);
    expect(out).to.match(/stomp\+tcp:\/\/127\.0\.0\.1:\d+/).and.match(/stomp\+ws:\/\/127\.0\.0\.1:\d+\/ws/);
    expect(out).to.contain('broker stopped');
  });
});
