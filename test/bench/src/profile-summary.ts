/**
 * Summarises a V8 CPU profile (from `npm run bench -- --cpu-prof DIR`): the functions with the most
 * self time, and the share of time per package. Usage: node test/bench/dist/profile-summary.js FILE [top]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const [file, topText] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node profile-summary.js FILE.cpuprofile [top]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
for (let i = 0; i < profile.samples.length; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
const where = (url: string): string => {
  const m = /\/(plugins\/[^/]+|core|cli|config|node_modules\/[^/]+(?:\/[^/]+)?)\//.exec(url);
  if (m) return m[1]!.replace(/^node_modules\//, '');
  if (url.startsWith('node:')) return 'node';
  return url === '' ? '(native/gc/idle)' : url;
};
const perFunction = new Map<string, number>();
const perPackage = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const { functionName, url, lineNumber } = n.callFrame;
  const key = `${functionName || '(anonymous)'}  ${url ? `${url.replace(/^.*?\/(plugins|core|cli|config|node_modules)\//, '$1/')}:${lineNumber + 1}` : ''}`;
  perFunction.set(key, (perFunction.get(key) ?? 0) + us);
  const pkg = where(url);
  perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + us);
}
const pct = (us: number): string => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
const top = Number(topText ?? 25);
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s sampled\n\nself time by package:\n`);
for (const [pkg, us] of [...perPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) process.stdout.write(`  ${pct(us)}  ${pkg}\n`);
process.stdout.write(`\ntop ${top} functions by self time:\n`);
for (const [fn, us] of [...perFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`  ${pct(us)}  ${fn}\n`);
