/**
 * Plugins in folders outside the broker's install, as third-party authors have them: the loader
 * gives them the broker's own @wharf/core (one copy in the process), and a module that fails to
 * import is reported with its real cause.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, CORE_VERSION, ErrorCodes, WharfError, createLogger } from '../src/index.js';

const silent = createLogger('silent');
/** Routing that names no queue type, so a broker of one extension plugin is valid. */
const NO_ROUTES = { rules: [], prefixes: {}, fallback: 'reject' };

/** A stale copy of "@wharf/core" of the kind an author's node_modules may hold: other version, other classes, no brand. */
const STALE_CORE = {
  'package.json': JSON.stringify({ name: '@wharf/core', version: '0.0.1-stale', type: 'module', main: 'index.js', exports: { '.': './index.js', './package.json': './package.json' } }),
  'index.js': [
    "export const CORE_VERSION = '0.0.1-stale';",
    'export class WharfError extends Error {}',
    'export function definePlugin(meta, register) { return { ...meta, register }; }',
  ].join('\n'),
};

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), text);
  }
}

async function loadFailure(configDir: string, plugin: string): Promise<WharfError> {
  try {
    await Broker.create({ plugins: [plugin] }, { configDir, logger: silent });
  } catch (err) {
    expect(err).to.be.instanceOf(WharfError);
    return err as WharfError;
  }
  throw new Error(`expected ${plugin} to fail to load`);
}

describe('plugin loader: plugins outside the broker install', function () {
  this.timeout(30000);
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-outside-'));
    const stale = Object.fromEntries(Object.entries(STALE_CORE).map(([p, t]) => [`node_modules/@wharf/core/${p}`, t]));
    await writeTree(join(dir, 'esm-plugin'), {
      ...stale,
      'package.json': JSON.stringify({ name: 'outside-esm', version: '1.0.0', type: 'module', main: 'index.js' }),
      'index.js': [
        "import { definePlugin, CORE_VERSION, WharfError } from '@wharf/core';",
        "import corePackage from '@wharf/core/package.json' with { type: 'json' };",
        "export default definePlugin({ kind: 'extension', name: 'outside-esm', core: '^0.1.0' }, () => {",
        '  globalThis.__outsideEsm = { version: CORE_VERSION, packageVersion: corePackage.version, WharfError };',
        '});',
      ].join('\n'),
    });
    await writeTree(join(dir, 'cjs-plugin'), {
      ...stale,
      'package.json': JSON.stringify({ name: 'outside-cjs', version: '1.0.0', main: 'index.js' }),
      'index.js': [
        "const { definePlugin, CORE_VERSION, WharfError } = require('@wharf/core');",
        "module.exports = definePlugin({ kind: 'extension', name: 'outside-cjs', core: '^0.1.0' }, () => {",
        '  globalThis.__outsideCjs = { version: CORE_VERSION, WharfError };',
        '});',
      ].join('\n'),
    });
    await writeTree(join(dir, 'needs-dep'), {
      'package.json': JSON.stringify({ name: 'needs-dep', version: '1.0.0', type: 'module', main: 'src/index.js' }),
      'src/index.js': "import left from 'left-pad-not-installed/sub.js';\nexport default left;\n",
    });
    await writeTree(join(dir, 'syntax'), {
      'package.json': JSON.stringify({ name: 'syntax', version: '1.0.0', type: 'module', main: 'index.js' }),
      'index.js': "import './helper.js';\nexport default 1;\n",
      'helper.js': 'export const ok = 1;\nexport function broken() {\n  return { a: 1 {;\n}\n',
    });
    await writeTree(join(dir, 'throws'), {
      'package.json': JSON.stringify({ name: 'throws', version: '1.0.0', type: 'module', main: 'index.js' }),
      'index.js': "const x = 1;\nthrow new RangeError('no widgets configured');\n",
    });
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives an ES module plugin the broker\'s @wharf/core, not the copy in its own node_modules', async () => {
    const broker = await Broker.create({ plugins: ['./esm-plugin'], routing: NO_ROUTES }, { configDir: dir, logger: silent });
    const seen = (globalThis as { __outsideEsm?: { version: string; packageVersion: string; WharfError: unknown } }).__outsideEsm;
    expect(broker.plugins[0]!.definition.name).to.equal('outside-esm');
    expect(seen?.version).to.equal(CORE_VERSION);
    expect(seen?.packageVersion).to.equal(CORE_VERSION);
    expect(seen?.WharfError, 'the same class, so instanceof works across the plugin boundary').to.equal(WharfError);
  });

  it('gives a CommonJS plugin the broker\'s @wharf/core through require()', async () => {
    const broker = await Broker.create({ plugins: ['./cjs-plugin'], routing: NO_ROUTES }, { configDir: dir, logger: silent });
    const seen = (globalThis as { __outsideCjs?: { version: string; WharfError: unknown } }).__outsideCjs;
    expect(broker.plugins[0]!.definition.name).to.equal('outside-cjs');
    expect(seen?.version).to.equal(CORE_VERSION);
    expect(seen?.WharfError).to.equal(WharfError);
  });

  it('names a missing package and the command that installs it in the plugin\'s folder', async () => {
    const err = await loadFailure(dir, './needs-dep');
    expect(err.code).to.equal(ErrorCodes.PLUGIN_INVALID);
    expect(err.message).to.contain('cannot find package left-pad-not-installed').and.contain(join(dir, 'needs-dep', 'src', 'index.js'));
    expect(err.hint).to.equal(`install it where the plugin is: cd ${join(dir, 'needs-dep')} && npm install left-pad-not-installed`);
    expect((err.cause as { code?: string }).code).to.equal('ERR_MODULE_NOT_FOUND');
  });

  it('gives a syntax error\'s file, line and column, in a module the plugin imports', async () => {
    const err = await loadFailure(dir, './syntax');
    const at = `${join(dir, 'syntax', 'helper.js')}:3:17`;
    expect(err.message).to.contain("SyntaxError: Unexpected token '{'").and.contain(at);
    expect(err.hint).to.equal(`fix the syntax at ${at}`);
  });

  it('gives the message and the place of an error thrown while the module is imported', async () => {
    const err = await loadFailure(dir, './throws');
    expect(err.message).to.contain('RangeError: no widgets configured').and.contain(`${join(dir, 'throws', 'index.js')}:2:7`);
    expect(err.cause).to.be.instanceOf(RangeError);
  });

  it('says a TypeScript plugin folder whose entry file is missing must be built', async () => {
    await writeTree(join(dir, 'unbuilt'), { 'package.json': JSON.stringify({ name: 'unbuilt', version: '1.0.0', type: 'module', main: 'dist/index.js' }) });
    const err = await loadFailure(dir, './unbuilt');
    expect(err.code).to.equal(ErrorCodes.PLUGIN_NOT_FOUND);
    expect(err.hint).to.contain(`cd ${join(dir, 'unbuilt')} && npm run build`);
  });
});
