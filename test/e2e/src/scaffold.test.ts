/**
 * A plugin written outside this repo, as a new author makes one: `wharf plugin new queue-type` in a
 * temporary folder, `npm install && npm test` there (its own tests: the conformance suite and an
 * example test), `wharf plugin check` on it, then a real broker (`wharf start`, a child process)
 * from a config in that folder that loads the plugin by path and routes a prefix to it, and
 * @stomp/stompjs exchanging messages with it — a NACKed one comes back, marked redelivered.
 * Once in TypeScript and once in plain JavaScript (--js).
 *
 * Slow by nature (npm install twice): the timeouts are long; nothing here measures time.
 */
import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Tracker, stompOverTcp, waitFor } from './helpers.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const wharfBin = join(repo, 'cli', 'bin', 'wharf.js');
/** npm install may fetch from the registry on a cold cache; a slow machine gets its time. */
const NPM_TIMEOUT_MS = 8 * 60_000;

interface Run { readonly code: number; readonly stdout: string; readonly stderr: string }

/** The environment without the npm_* variables of an `npm test` that runs this file: the inner npm must act on its own folder. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')));
}

function run(command: string, args: readonly string[], cwd: string, timeout = NPM_TIMEOUT_MS): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, [...args], { cwd, timeout, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const wharf = (args: readonly string[], cwd: string): Promise<Run> => run(process.execPath, [wharfBin, ...args], cwd);
const npm = (args: readonly string[], cwd: string): Promise<Run> => run('npm', args, cwd);
const shown = (r: Run): string => `exit ${r.code}\n${r.stdout}\n${r.stderr}`;

/** Starts `wharf start --config FILE` and resolves with the STOMP port once it logged "broker ready". */
async function startBroker(config: string, cwd: string): Promise<{ child: ChildProcess; port: number; output: () => string }> {
  const child = spawn(process.execPath, [wharfBin, 'start', '--config', config], { cwd, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  child.stderr!.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  let exited = false;
  child.once('exit', () => { exited = true; });
  await waitFor(() => out.includes('broker ready') || exited, 60_000, 'the broker to start');
  if (exited) throw new Error(`the broker did not start:\n${out}`);
  const port = /stomp\+tcp:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1];
  if (port === undefined) throw new Error(`no STOMP listener in the log:\n${out}`);
  return { child, port: Number(port), output: () => out };
}

async function stopBroker(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

for (const variant of [{ label: 'TypeScript', flags: [] as string[] }, { label: 'JavaScript (--js)', flags: ['--js'] }]) {
  describe(`a queue-type plugin scaffolded outside the repo, in ${variant.label}`, function () {
    this.timeout(NPM_TIMEOUT_MS + 60_000);
    let root: string;
    let dir: string;
    const tracker = new Tracker();

    before(async () => {
      root = await mkdtemp(join(tmpdir(), 'wharf-scaffold-'));
      dir = join(root, 'retry-queue');
      const made = await wharf(['plugin', 'new', 'queue-type', 'wharf-queue-retry', '--dir', dir, ...variant.flags], root);
      expect(made.code, shown(made)).to.equal(0);
      const installed = await npm(['install', '--no-audit', '--no-fund', '--prefer-offline'], dir);
      expect(installed.code, shown(installed)).to.equal(0);
    });

    afterEach(async () => tracker.closeAll());
    after(async () => {
      if (root) await rm(root, { recursive: true, force: true });
    });

    it('has one copy of @wharf/core in its node_modules, shared with @wharf/testkit', async () => {
      const listed = await npm(['ls', '@wharf/core', '--all', '--parseable'], dir);
      expect(listed.code, shown(listed)).to.equal(0);
      const copies = new Set(listed.stdout.split('\n').filter((line) => line.endsWith(join('node_modules', '@wharf', 'core'))));
      expect([...copies]).to.deep.equal([join(dir, 'node_modules', '@wharf', 'core')]);
    });

    it('passes its own npm test: the queue-type conformance suite and its example test', async () => {
      const tested = await npm(['test'], dir);
      expect(tested.code, shown(tested)).to.equal(0);
      expect(tested.stdout).to.contain('queue type conformance: retry').and.contain('moves a message nacked maxDeliveries times');
      expect(tested.stdout).to.not.match(/\d+ failing/);
    });

    it('passes wharf plugin check, one line per check', async () => {
      const checked = await wharf(['plugin', 'check', dir], root);
      expect(checked.code, shown(checked)).to.equal(0);
      expect(checked.stdout).to.match(/^✓ queue type conformance: retry › /m).and.match(/^\d+ passed, 0 failed$/m);
      // The real suite's groups, the durability checks among them (the template's profile says durable: true).
      for (const group of ['delivery', 'several subscribers', 'acknowledgement', 'durability']) {
        expect(checked.stdout, group).to.match(new RegExp(`^✓ queue type conformance: retry › ${group} › `, 'm'));
      }
      expect(checked.stdout).to.not.contain('not checked');
      expect(checked.stdout).to.not.contain('✗');
    });

    it('is loaded by path from a config and exchanges messages over STOMP, redelivering a NACKed one', async () => {
      const config = join(root, 'wharf.config.yaml');
      await writeFile(config, [
        'plugins:',
        '  - "@wharf/protocol-stomp"',
        '  - ./retry-queue',
        'routing:',
        '  prefixes: { "/jobs/": retry }',
        '  fallback: reject',
        'listeners:',
        '  - { protocol: stomp, transport: tcp, host: 127.0.0.1, port: 0 }',
        'log: { level: info }',
        '',
      ].join('\n'));
      const broker = await startBroker(config, root);
      try {
        const producer = await stompOverTcp(broker.port, {}, tracker);
        const consumer = await stompOverTcp(broker.port, {}, tracker);
        await producer.publishConfirmed('/jobs/mail', 'first');
        await producer.publishConfirmed('/jobs/mail', 'second');
        const got = await consumer.subscribe('/jobs/mail', { ack: 'client-individual' });
        const [first, second] = await got.waitCount(2, 20_000);
        expect([first!.body, second!.body], 'held until the first subscriber, in order').to.deep.equal(['first', 'second']);
        first!.nack();
        second!.ack();
        const all = await got.waitCount(3, 20_000);
        expect(all[2]!.body, 'the NACKed message comes back').to.equal('first');
        expect(all[2]!.headers['message-id']).to.equal(first!.headers['message-id']);
        expect(all[2]!.headers['redelivered'], 'marked redelivered').to.equal('true');
        expect(first!.headers['redelivered']).to.equal(undefined);
        all[2]!.ack();
      } finally {
        await tracker.closeAll();
        const code = await stopBroker(broker.child);
        expect(code, broker.output()).to.equal(0);
      }
    });
  });
}
