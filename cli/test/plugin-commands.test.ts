/**
 * `wharf plugin new` and `wharf plugin check` as a user runs them (a child process): argument
 * errors, what a new package holds, and check's output on a passing plugin, a broken one and one
 * that cannot be loaded. Generated JavaScript packages import only @wharf/core, which the broker
 * gives them, so `plugin check` runs on them without an npm install (that is the e2e test's part).
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CORE_VERSION } from '@wharf/core';

const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url));
const repo = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

interface Run { code: number; stdout: string; stderr: string }

function wharf(args: string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd, timeout: 60000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

async function edit(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  expect(text, `${file} contains the text to replace`).to.contain(from);
  await writeFile(file, text.replace(from, to));
}

describe('wharf plugin new', function () {
  this.timeout(60000);
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'wharf-plugin-new-')); });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('refuses an unknown kind with exit 2, listing the kinds, and writes nothing', async () => {
    const { code, stderr } = await wharf(['plugin', 'new', 'queue', 'x', '--dir', join(dir, 'x')], dir);
    expect(code).to.equal(2);
    expect(stderr).to.contain('unknown plugin kind "queue"').and.contain('queue-type, protocol, authenticator, authorizer, store');
    expect(await readdir(dir)).to.deep.equal([]);
  });

  it('refuses a folder that exists and is not empty, and leaves it as it was', async () => {
    const taken = join(dir, 'taken');
    await mkdir(taken);
    await writeFile(join(taken, 'notes.txt'), 'mine');
    const { code, stderr } = await wharf(['plugin', 'new', 'queue-type', 'wharf-queue-x', '--dir', taken], dir);
    expect(code).to.equal(2);
    expect(stderr).to.contain(`${taken} exists and is not empty`).and.contain('--dir');
    expect(await readdir(taken)).to.deep.equal(['notes.txt']);
  });

  it('refuses a name npm would not publish', async () => {
    const { code, stderr } = await wharf(['plugin', 'new', 'store', 'My Store', '--dir', join(dir, 'bad-name')], dir);
    expect(code).to.equal(2);
    expect(stderr).to.contain('"My Store" is not a valid npm package name');
  });

  it('writes a TypeScript package that points at this checkout\'s core and testkit and names its conformance profile', async () => {
    const target = join(dir, 'ts-queue');
    const { code, stdout } = await wharf(['plugin', 'new', 'queue-type', '@acme/wharf-queue-retry', '--dir', target], dir);
    expect(code, stdout).to.equal(0);
    expect(stdout).to.contain('registering "retry"').and.contain('npm install && npm test');
    const files = await readdir(target, { recursive: true });
    for (const f of ['package.json', 'tsconfig.json', '.gitignore', '.npmrc', '.mocharc.json', 'README.md', 'src/index.ts', 'src/queue.ts', 'src/conformance.ts', 'test/conformance.test.ts']) {
      expect(files, f).to.include(f);
    }
    const pkg = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(pkg.peerDependencies).to.deep.equal({ '@wharf/core': `^${CORE_VERSION}` });
    expect(pkg.devDependencies!['@wharf/core']).to.equal(`file:${repo}/core`);
    expect(pkg.devDependencies!['@wharf/testkit']).to.equal(`file:${repo}/test/testkit`);
    const root = JSON.parse(await readFile(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    for (const tool of ['typescript', 'mocha', 'chai']) expect(pkg.devDependencies![tool], tool).to.equal(root.devDependencies[tool]);
    expect(pkg.wharf).to.deep.equal({ conformance: './dist/src/conformance.js' });
    const source = await readFile(join(target, 'src', 'index.ts'), 'utf8');
    expect(source).to.contain("type: 'retry'").and.contain("name: '@acme/wharf-queue-retry'").and.not.contain('__');
    const readme = await readFile(join(target, 'README.md'), 'utf8');
    expect(readme).to.contain('| `maxDeliveries` |').and.contain('type: retry');
  });

  it('writes plain JavaScript with --js: no tsconfig, no TypeScript, sources run as they are', async () => {
    const target = join(dir, 'js-store');
    const { code } = await wharf(['plugin', 'new', 'store', 'wharf-store-notes', '--dir', target, '--js'], dir);
    expect(code).to.equal(0);
    const files = await readdir(target, { recursive: true });
    expect(files).to.include('src/store.js').and.include('test/conformance.test.js').and.not.include('tsconfig.json');
    const pkg = JSON.parse(await readFile(join(target, 'package.json'), 'utf8')) as Record<string, Record<string, string>>;
    expect(pkg.devDependencies).to.not.have.property('typescript');
    expect(pkg.main).to.equal('./src/index.js');
    expect(pkg.wharf).to.deep.equal({ conformance: './src/conformance.js' });
  });
});

describe('wharf plugin check', function () {
  this.timeout(120000);
  let dir: string;
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'wharf-plugin-check-')); });
  after(async () => rm(dir, { recursive: true, force: true }));

  const scaffold = async (kind: string, name: string): Promise<string> => {
    const target = join(dir, name);
    const made = await wharf(['plugin', 'new', kind, name, '--dir', target, '--js'], dir);
    expect(made.code, made.stderr).to.equal(0);
    return target;
  };

  it('passes a scaffolded queue type: one ✓ line per check, a summary, exit 0', async () => {
    await scaffold('queue-type', 'good-queue');
    const { code, stdout, stderr } = await wharf(['plugin', 'check', './good-queue'], dir);
    expect(code, stderr).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).to.match(/^(\d+) passed, 0 failed$/);
    const passed = Number(/^(\d+) passed/.exec(lines.at(-1)!)![1]);
    expect(passed).to.be.greaterThan(5);
    expect(lines.filter((l) => l.startsWith('✓ queue type conformance: good-queue › '))).to.have.length(passed);
  });

  it('runs only the checks --grep names', async () => {
    const { code, stdout } = await wharf(['plugin', 'check', './good-queue', '--grep', 'unknown tag'], dir);
    expect(code).to.equal(0);
    expect(stdout.trim().split('\n')).to.deep.equal([
      '✓ queue type conformance: good-queue › delivery › refuses an ack of an unknown tag in client-individual mode with a WharfError',
      '1 passed, 0 failed',
    ]);
  });

  it('fails a broken queue type, naming each failed check and why, exit 1', async () => {
    const plugin = await scaffold('queue-type', 'broken-queue');
    // Two bugs: redeliveries are not marked, and an ack of an unknown tag is silently accepted.
    await edit(join(plugin, 'src', 'queue.js'), 'redelivered: held.deliveryCount > 1', 'redelivered: false');
    await edit(join(plugin, 'src', 'queue.js'), 'if (held === undefined) throw this.#unknown(tag);', 'if (held === undefined) return [];');
    const { code, stdout } = await wharf(['plugin', 'check', plugin], dir);
    expect(code).to.equal(1);
    // Unmarked redeliveries fail every check that redelivers; the silent ack fails the unknown-tag check.
    expect(stdout).to.match(/^✗ queue type conformance: broken-queue › acknowledgement › redelivers a NACKed message .*: expected false to equal true$/m);
    expect(stdout).to.match(/^✗ queue type conformance: broken-queue › acknowledgement › returns a closing session's unacknowledged messages .*: .+$/m);
    expect(stdout).to.match(/^✗ queue type conformance: broken-queue › delivery › refuses an ack of an unknown tag .*: expected a WharfError .+$/m);
    expect(stdout).to.match(/^✓ queue type conformance: broken-queue › delivery › delivers messages sent after a subscriber attached/m);
    const failed = stdout.split('\n').filter((l) => l.startsWith('✗ '));
    expect(failed.length).to.be.at.least(5);
    expect(stdout).to.match(new RegExp(`^\\d+ passed, ${failed.length} failed$`, 'm'));
  });

  it('says what it could not check and exits 1 when the profile is missing', async () => {
    const plugin = await scaffold('queue-type', 'no-profile');
    const manifest = JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8')) as { wharf?: unknown };
    delete manifest.wharf;
    await writeFile(join(plugin, 'package.json'), JSON.stringify(manifest));
    const { code, stdout } = await wharf(['plugin', 'check', plugin], dir);
    expect(code).to.equal(1);
    expect(stdout).to.contain('0 passed, 0 failed').and.contain('not checked: queue type no-profile (plugin no-profile)').and.contain('holdsMessages');
  });

  it('checks a plugin file against the profile --profile names, and leaves out what --skip names', async () => {
    const plugin = await scaffold('queue-type', 'lone-file');
    const manifest = JSON.parse(await readFile(join(plugin, 'package.json'), 'utf8')) as { wharf?: unknown };
    delete manifest.wharf;
    await writeFile(join(plugin, 'package.json'), JSON.stringify(manifest));
    const { code, stdout } = await wharf(['plugin', 'check', join(plugin, 'src', 'index.js'), '--profile', join(plugin, 'src', 'conformance.js'),
      '--grep', 'acknowledgement', '--skip', 'prefetch', '--skip', 'NACK'], dir);
    expect(code, stdout).to.equal(0);
    const lines = stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✓ queue type conformance: lone-file › acknowledgement › ')).length).to.equal(lines.length - 1).and.be.greaterThan(2);
    expect(stdout).to.not.contain('prefetch').and.not.contain('NACK');
  });

  it('exits 1 when part of a plugin could not be checked, though every check that ran passed', async () => {
    const plugin = await scaffold('queue-type', 'half-profile');
    // The profile names a queue type the plugin does not register.
    await edit(join(plugin, 'src', 'conformance.js'), "'half-profile': {", "'elsewhere': { holdsMessages: true },\n    'half-profile': {");
    const { code, stdout } = await wharf(['plugin', 'check', plugin, '--grep', 'unknown tag'], dir);
    expect(code).to.equal(1);
    expect(stdout).to.contain('1 passed, 0 failed').and.contain('not checked: queue type elsewhere is in the profile (queueTypes.elsewhere), but no plugin of the target registers it');
  });

  it('checks the other kinds it scaffolds: store, authenticator, authorizer, protocol', async () => {
    for (const kind of ['store', 'authenticator', 'authorizer', 'protocol']) {
      await scaffold(kind, `a-${kind}`);
      const { code, stdout, stderr } = await wharf(['plugin', 'check', `./a-${kind}`], dir);
      expect(code, `${kind}: ${stdout}${stderr}`).to.equal(0);
      expect(stdout).to.match(new RegExp(`^✓ ${kind === 'protocol' ? 'protocol adapter' : kind} conformance: a-${kind} › `, 'm')).and.match(/^\d+ passed, 0 failed$/m);
    }
  });

  it('takes the plugin\'s options from --config, and names the line of a bad one', async () => {
    await scaffold('authenticator', 'configured-auth');
    const config = join(dir, 'configured.yaml');
    await writeFile(config, 'plugins:\n  - use: ./configured-auth\n    options:\n      users:\n        alice: { passwordHash: "plain-text" }\n');
    const bad = await wharf(['plugin', 'check', './configured-auth', '--config', config], dir);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/configured\.yaml:5:\d+ plugins\[0\]\.options\.users\.alice\.passwordHash/);
    // A whole valid config: --config checks it as the broker would before the suites run.
    await writeFile(config, 'plugins:\n  - use: ./configured-auth\n    options: { users: {} }\nrouting: { rules: [], prefixes: {}, fallback: reject }\n');
    const good = await wharf(['plugin', 'check', './configured-auth', '--config', config, '--grep', 'has a name'], dir);
    expect(good.code, good.stderr).to.equal(0);
    expect(good.stdout).to.contain('✓ authenticator conformance: configured-auth › has a name');
  });

  it('exits 2 with the real cause when the plugin cannot be loaded: a syntax error\'s file:line:column', async () => {
    const plugin = await scaffold('queue-type', 'syntax-queue');
    await edit(join(plugin, 'src', 'queue.js'), '  purge() {', '  purge() {{');
    const { code, stdout, stderr } = await wharf(['plugin', 'check', plugin], dir);
    expect(code).to.equal(2);
    expect(stdout).to.equal('');
    expect(stderr).to.contain('WHARF_ERR_PLUGIN_INVALID').and.match(new RegExp(`SyntaxError: .* at ${join(plugin, 'src', 'queue.js')}:\\d+:\\d+`));
    expect(stderr).to.contain('  cause: SyntaxError').and.contain('  hint: fix the syntax at');
  });

  it('exits 2 naming a missing package and the command that installs it in the plugin\'s folder', async () => {
    const plugin = await scaffold('queue-type', 'needs-dep');
    await edit(join(plugin, 'src', 'index.js'), "import { definePlugin } from '@wharf/core';", "import { definePlugin } from '@wharf/core';\nimport 'left-pad-never-installed';");
    const { code, stderr } = await wharf(['plugin', 'check', plugin], dir);
    expect(code).to.equal(2);
    expect(stderr).to.contain('cannot find package left-pad-never-installed').and.contain(`cd ${plugin} && npm install left-pad-never-installed`);
    expect(stderr).to.contain('  cause: Error: Cannot find package');
  });
});
