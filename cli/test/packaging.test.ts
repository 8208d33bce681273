/**
 * Every @wharf/* package is ready for `npm publish`: `npm pack` (dry run, one npm process for all)
 * ships the built JavaScript, the .d.ts files, the README and every file `exports`/`main`/`bin`
 * names, and package.json says `engines` and, for plugins, testkit and config, takes @wharf/core
 * as a peer dependency.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../../../', import.meta.url));

interface Manifest {
  name: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  files?: string[];
  exports?: Record<string, string | Record<string, string>>;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
interface Packed { name: string; files: { path: string }[] }

/** The workspace folders of the root package.json, `plugins/*` expanded. */
async function workspaces(): Promise<Map<string, Manifest>> {
  const globs = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }).workspaces;
  const found = new Map<string, Manifest>();
  for (const glob of globs) {
    const dirs = glob.endsWith('/*')
      ? (await readdir(join(root, glob.slice(0, -2)), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => `${glob.slice(0, -2)}/${d.name}`)
      : [glob];
    for (const dir of dirs) found.set(dir, JSON.parse(await readFile(join(root, dir, 'package.json'), 'utf8')) as Manifest);
  }
  return found;
}

/** Every file path a manifest promises: main, types, bin and each `exports` target. */
function promisedFiles(pkg: Manifest): string[] {
  const targets = [pkg.main, pkg.types, ...Object.values(pkg.bin ?? {})];
  for (const target of Object.values(pkg.exports ?? {})) targets.push(...(typeof target === 'string' ? [target] : Object.values(target)));
  return targets.filter((t): t is string => t !== undefined).map((t) => t.replace(/^\.\//, ''));
}

describe('packaging: every @wharf package is publish-ready', function () {
  this.timeout(60000);
  let manifests: Map<string, Manifest>;
  let packed: Map<string, Packed>;
  let publishable: string[];

  before(async () => {
    manifests = await workspaces();
    publishable = [...manifests].filter(([, m]) => m.name.startsWith('@wharf/') && !m.private).map(([dir]) => dir);
    const args = ['pack', '--dry-run', '--json', '--ignore-scripts', ...publishable.flatMap((dir) => ['-w', dir])];
    const { stdout } = await promisify(execFile)('npm', args, { cwd: root, maxBuffer: 32 * 1024 * 1024 });
    packed = new Map((JSON.parse(stdout) as Packed[]).map((p) => [p.name, p]));
  });

  it('publishes core, config, cli, testkit and every plugin, and keeps e2e and bench private', () => {
    const plugins = [...manifests.keys()].filter((dir) => dir.startsWith('plugins/'));
    expect(plugins.length).to.be.greaterThan(5);
    expect(publishable.sort()).to.deep.equal(['cli', 'config', 'core', 'test/testkit', ...plugins].sort());
    expect(manifests.get('test/e2e')!.private).to.equal(true);
    expect(manifests.get('test/bench')!.private).to.equal(true);
  });

  it('packs the built JavaScript, its .d.ts, the README and every file the manifest names — and no tests', () => {
    for (const dir of publishable) {
      const pkg = manifests.get(dir)!;
      const files = new Set(packed.get(pkg.name)?.files.map((f) => f.path));
      const where = `${pkg.name} (${dir})`;
      expect(files.size, `${where} was packed`).to.be.greaterThan(0);
      expect(files, `${where} ships a README`).to.include('README.md');
      expect([...files].some((f) => /^dist\/src\/.*\.js$/.test(f)), `${where} ships built JavaScript`).to.equal(true);
      expect([...files].some((f) => /^dist\/src\/.*\.d\.ts$/.test(f)), `${where} ships .d.ts files`).to.equal(true);
      for (const file of promisedFiles(pkg)) expect(files, `${where} ships ${file}, which its package.json names`).to.include(file);
      for (const file of files) expect(file, `${where} ships no compiled tests or build info`).to.not.match(/^dist\/test\/|tsbuildinfo$/);
    }
  });

  it('ships every template `wharf plugin new` writes from (npm drops files such as .npmrc, so none is named so)', async () => {
    const templates = (await readdir(join(root, 'cli', 'templates'), { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => relative(join(root, 'cli'), join(entry.parentPath, entry.name)));
    expect(templates.length).to.be.greaterThan(20);
    const files = new Set(packed.get('@wharf/cli')!.files.map((f) => f.path));
    for (const template of templates) expect(files, template).to.include(template);
  });

  it('declares exports, files and the Node.js version, and takes @wharf/core as a peer where it plugs into a broker', () => {
    for (const dir of publishable) {
      const pkg = manifests.get(dir)!;
      const where = `${pkg.name} (${relative(root, join(root, dir))})`;
      expect(pkg.exports?.['.'], `${where} has exports`).to.not.equal(undefined);
      expect(pkg.files, `${where} lists its files`).to.be.an('array').that.is.not.empty;
      expect(pkg.engines?.node, `${where} says which Node.js`).to.equal('>=20.19');
      if (dir.startsWith('plugins/') || dir === 'test/testkit' || dir === 'config') {
        expect(pkg.peerDependencies?.['@wharf/core'], `${where} takes core as a peer`).to.equal('^0.1.0');
        expect(pkg.dependencies?.['@wharf/core'], `${where} does not bring its own core`).to.equal(undefined);
      }
    }
  });
});
