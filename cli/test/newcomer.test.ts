/** What a newcomer meets first on a fresh clone: the help, routing near misses, the README, npm install. */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/wharf.js', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

function wharf(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { cwd: root, timeout: 20000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('a newcomer on a fresh clone', function () {
  this.timeout(30000);

  it('npx wharf with no arguments prints the help on stdout and exits 0', async () => {
    const { code, stdout, stderr } = await wharf([]);
    expect(code, stderr).to.equal(0);
    expect(stdout).to.contain('Usage: wharf').and.contain('config').and.contain('routes');
    expect(stderr).to.equal('');
  });

  for (const [name, meant, why] of [
    ['/Queue/orders', '/queue/orders', 'case-sensitive'],
    ['/queue', '/queue/NAME', 'ends with "/"'],
    ['queue/orders', '/queue/orders', 'leading "/"'],
  ] as const) {
    it(`routes explain ${name}: says it became a topic, which prefix nearly matched, and the name that would`, async () => {
      const { code, stdout } = await wharf(['routes', 'explain', name]);
      expect(code).to.equal(0);
      const [decision, hint] = stdout.trim().split('\n');
      expect(decision).to.equal(`${name} -> topic (routing.fallback)`);
      expect(hint).to.contain('nearly matches the prefix "/queue/" (queue)').and.contain(why).and.contain(`a queue would be "${meant}"`);
    });
  }

  it('routes explain gives no hint for a name that matched its prefix', async () => {
    const { stdout } = await wharf(['routes', 'explain', '/queue/orders']);
    expect(stdout.trim()).to.equal('/queue/orders -> queue (routing.prefixes "/queue/")');
  });

  it('the README starts with the two commands and the Node version beside them', async () => {
    const readme = await readFile(`${root}README.md`, 'utf8');
    const head = readme.split('\n').slice(0, 12).join('\n');
    expect(head).to.contain('npm install && npm start').and.contain('npm test');
    expect(head).to.match(/Requires Node\.js 20\.19 or newer/);
    const { engines } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { engines: { node: string } };
    expect(engines.node).to.equal('>=20.19');
  });

  it('every package with an install script is decided in allowScripts, so npm install does not warn', async () => {
    const lock = JSON.parse(await readFile(`${root}package-lock.json`, 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
    const { allowScripts } = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as { allowScripts: Record<string, boolean> };
    const withScripts = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript).map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(withScripts).to.include('nx');
    expect(withScripts.filter((name) => !(name in allowScripts))).to.deep.equal([]);
  });
});
