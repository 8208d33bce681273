import { expect } from 'chai';
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, ErrorCodes } from '@wharf/core';
import { DEFAULT_CONFIG_PATH, findConfigFile, loadConfig, type LoadConfigOptions } from '../src/index.js';

const EXAMPLES_DIR = fileURLToPath(new URL('../../examples/', import.meta.url));

const dirs: string[] = [];

/** A fresh temp folder holding `files` (name -> content). */
async function folderWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wharf-config-'));
  dirs.push(dir);
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
    await writeFile(path.join(dir, name), content);
  }
  return dir;
}

/** The ConfigError loadConfig rejects with (fails the test when it resolves). */
async function loadError(options: LoadConfigOptions): Promise<ConfigError> {
  try {
    await loadConfig(options);
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).code).to.equal(ErrorCodes.CONFIG);
    return err as ConfigError;
  }
  expect.fail('loadConfig accepted the config');
}

after(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('loadConfig: finding the file', () => {
  it('finds wharf.config.yaml in cwd', async () => {
    const cwd = await folderWith({ 'wharf.config.yaml': 'log:\n  level: debug\n' });
    const loaded = await loadConfig({ cwd });
    expect(loaded.filepath).to.equal(path.join(cwd, 'wharf.config.yaml'));
    expect(loaded.source.filepath).to.equal(loaded.filepath);
    expect(loaded.isDefault).to.equal(false);
    expect(loaded.config.log.level).to.equal('debug');
    expect(loaded.config.routing.fallback).to.equal('topic');
  });

  it('finds .wharfrc.json in cwd', async () => {
    const cwd = await folderWith({ '.wharfrc.json': '{ "limits": { "maxTransactions": 7 } }' });
    const loaded = await loadConfig({ cwd });
    expect(loaded.filepath).to.equal(path.join(cwd, '.wharfrc.json'));
    expect(loaded.config.limits.maxTransactions).to.equal(7);
  });

  it('prefers .wharfrc.* over wharf.config.*, in the documented order', async () => {
    const cwd = await folderWith({
      'wharf.config.yaml': 'log: { level: warn }\n',
      '.wharfrc.yml': 'log: { level: error }\n',
    });
    expect((await loadConfig({ cwd })).filepath).to.equal(path.join(cwd, '.wharfrc.yml'));
    expect(await findConfigFile({ cwd })).to.equal(path.join(cwd, '.wharfrc.yml'));
  });

  it('reads the "wharf" key of package.json, and skips a package.json without one', async () => {
    const withKey = await folderWith({ 'package.json': '{ "name": "app", "wharf": { "log": { "level": "trace" } } }' });
    expect((await loadConfig({ cwd: withKey })).config.log.level).to.equal('trace');
    const withoutKey = await folderWith({ 'package.json': '{ "name": "app" }', 'wharf.config.yml': 'log: { level: fatal }\n' });
    expect((await loadConfig({ cwd: withoutKey })).filepath).to.equal(path.join(withoutKey, 'wharf.config.yml'));
  });

  it('searches only cwd, not its parent folders', async () => {
    const parent = await folderWith({ 'wharf.config.yaml': 'log: { level: warn }\n', 'child/README': 'x' });
    expect(await findConfigFile({ cwd: path.join(parent, 'child') })).to.equal(undefined);
  });

  it('loads the file given as configPath, relative to cwd', async () => {
    const cwd = await folderWith({ 'wharf.config.yaml': 'log: { level: warn }\n', 'conf/prod.yaml': 'log: { level: error }\n' });
    const loaded = await loadConfig({ cwd, configPath: 'conf/prod.yaml' });
    expect(loaded.filepath).to.equal(path.join(cwd, 'conf', 'prod.yaml'));
    expect(loaded.config.log.level).to.equal('error');
  });

  it('names a configPath that does not exist', async () => {
    const cwd = await folderWith({});
    const error = await loadError({ cwd, configPath: 'missing.yaml' });
    expect(error.message).to.contain(path.join(cwd, 'missing.yaml'));
    expect(error.message).to.contain('not found');
  });

  it('falls back to the shipped default config when cwd has none', async () => {
    const cwd = await folderWith({});
    const loaded = await loadConfig({ cwd });
    expect(loaded.isDefault).to.equal(true);
    expect(loaded.filepath).to.equal(DEFAULT_CONFIG_PATH);
    expect(loaded.config.plugins).to.include('@wharf/queue-topic');
    // Safe by default: STOMP on loopback only, TCP and WebSocket.
    expect(loaded.config.listeners.map((l) => [l.protocol, l.transport, l.host, l.port])).to.deep.equal([
      ['stomp', 'tcp', '127.0.0.1', 61613],
      ['stomp', 'ws', '127.0.0.1', 15674],
    ]);
  });

  it('fails when cwd has no config and fallbackToDefault is false', async () => {
    const cwd = await folderWith({});
    const error = await loadError({ cwd, fallbackToDefault: false });
    expect(error.message).to.contain(cwd);
    expect(error.message).to.contain('wharf.config.yaml');
  });

  it('loads a JS config and keeps the objects it exports', async () => {
    const cwd = await folderWith({
      'wharf.config.mjs':
        "const plugin = { kind: 'extension', name: 'inline', core: '*', register() {}, [Symbol.for('wharf.plugin-definition')]: true };\n" +
        'export default { plugins: [plugin, { use: plugin }], log: { level: "warn" } };\n',
    });
    const loaded = await loadConfig({ cwd });
    expect(loaded.config.log.level).to.equal('warn');
    expect(loaded.config.plugins[0]).to.equal((loaded.config.plugins[1] as { use: unknown }).use);
    expect(loaded.source.locate).to.equal(undefined);
  });
});

describe('loadConfig: errors name the file and the line', () => {
  // Line numbers below refer to this fixture.
  const fixture = [
    'plugins:', //                       1
    '  - "@wharf/queue-topic"', //       2
    'listners: []', //                   3  unknown key
    'listeners:', //                     4
    '  - protocol: stomp', //            5
    '    port: "abc"', //                6  wrong type
    'routing:', //                       7
    '  rules:', //                       8
    '    - match: "^/jobs/(.+"', //      9  broken regex
    '      type: queue', //             10
    '',
  ].join('\n');

  it('gives the line of a broken regex, an unknown key and a wrong type', async () => {
    const cwd = await folderWith({ 'wharf.config.yaml': fixture });
    const file = path.join(cwd, 'wharf.config.yaml');
    const error = await loadError({ cwd });
    expect(error.file).to.equal(file);
    expect(error.message).to.contain(`${file}:3:`);
    expect(error.message).to.match(new RegExp(`${escape(file)}:3:\\d+ listners: unknown key "listners"`));
    expect(error.message).to.contain('did you mean "listeners"?');
    expect(error.message).to.match(new RegExp(`${escape(file)}:6:\\d+ listeners\\[0\\]\\.port: wrong type; expected an integer`));
    expect(error.message).to.match(
      new RegExp(`${escape(file)}:9:\\d+ routing\\.rules\\[0\\]\\.match: not a valid regular expression`),
    );
    expect(error.issues.map((i) => i.line)).to.deep.equal([3, 6, 9]);
  });

  it('points a missing key at the entry that lacks it', async () => {
    const cwd = await folderWith({ 'w.yaml': 'listeners:\n  - protocol: stomp\n    host: 0.0.0.0\n' });
    const error = await loadError({ cwd, configPath: 'w.yaml' });
    expect(error.issues).to.have.length(1);
    expect(error.issues[0]).to.include({ line: 2, message: 'missing required key "port"' });
  });

  it('gives lines in JSON files too', async () => {
    const cwd = await folderWith({ '.wharfrc.json': '{\n\t"log": {\n\t\t"level": 3\n\t}\n}\n' });
    const error = await loadError({ cwd });
    expect(error.issues[0]).to.include({ line: 3 });
    expect(error.message).to.contain(`${path.join(cwd, '.wharfrc.json')}:3:`);
  });

  it('gives lines under the "wharf" key of package.json', async () => {
    const cwd = await folderWith({ 'package.json': '{\n  "name": "app",\n  "wharf": {\n    "log": { "level": "loud" }\n  }\n}\n' });
    const error = await loadError({ cwd });
    expect(error.issues[0]).to.include({ line: 4 });
  });

  it('names the line of a YAML syntax error', async () => {
    const cwd = await folderWith({ 'wharf.config.yaml': 'log:\n  level: info\nrouting:\n  fallback: "topic\n' });
    const file = path.join(cwd, 'wharf.config.yaml');
    const error = await loadError({ cwd });
    expect(error.message).to.contain(file);
    expect(error.issues).to.have.length.greaterThan(0);
    expect(error.issues[0]!.line).to.be.at.least(4);
    expect(error.message).to.contain('Missing closing "quote');
  });

  it('rejects a key written twice', async () => {
    const cwd = await folderWith({ 'wharf.config.yaml': 'log:\n  level: info\nlog:\n  level: debug\n' });
    const error = await loadError({ cwd });
    expect(error.issues[0]).to.include({ line: 3, message: 'Map keys must be unique' });
  });

  it('treats an empty file, or one with only comments, as all defaults', async () => {
    const empty = await folderWith({ 'wharf.config.yaml': '' });
    const loaded = await loadConfig({ cwd: empty });
    expect(loaded.filepath).to.equal(path.join(empty, 'wharf.config.yaml'));
    expect(loaded.config.log.level).to.equal('info');
    const comments = await folderWith({ 'wharf.config.yaml': '# nothing yet\n' });
    expect((await loadConfig({ cwd: comments })).config.plugins).to.deep.equal([]);
  });

  it('says the config must be a mapping when the file holds a list', async () => {
    const cwd = await folderWith({ '.wharfrc': '- a\n- b\n' });
    const error = await loadError({ cwd });
    expect(error.message).to.contain(path.join(cwd, '.wharfrc'));
    expect(error.message).to.contain('the config must be a mapping');
  });

  it('names a JS config that throws', async () => {
    const cwd = await folderWith({ 'wharf.config.mjs': 'throw new Error("boom");\n' });
    const error = await loadError({ cwd });
    expect(error.message).to.contain(path.join(cwd, 'wharf.config.mjs'));
    expect(error.message).to.contain('boom');
  });
});

describe('shipped configs', () => {
  it('the default config validates', async () => {
    const loaded = await loadConfig({ configPath: DEFAULT_CONFIG_PATH });
    expect(loaded.config.routing.prefixes).to.deep.equal({ '/queue/': 'queue', '/pubsub/': 'pubsub', '/command/': 'command' });
    expect(loaded.config.security.allowAnonymousRemote).to.equal(false);
  });

  it('every example in config/examples validates', async () => {
    // *.users.yaml are the users files the examples name, not configs.
    const names = (await readdir(EXAMPLES_DIR)).filter((name) => !name.endsWith('.users.yaml'));
    expect(names).to.have.length.greaterThan(1);
    for (const name of names) {
      const loaded = await loadConfig({ configPath: path.join(EXAMPLES_DIR, name) });
      expect(loaded.isDefault, name).to.equal(false);
    }
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
