/**
 * The testkit's own tests run the suites the way an author does: through `wharf plugin check`,
 * the CLI's own command line (@wharf/cli's main(), in this process), so what is asserted is what
 * the author reads — the exit code and the `✓`/`✗` lines. Also: the broken variants, found in
 * their folders.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { main } from '@wharf/cli';

export interface CheckRun {
  readonly code: number;
  /** What it printed on stdout, a line each. */
  readonly lines: readonly string[];
  /** What it printed on stderr. */
  readonly errors: string;
}

export interface CheckOptions {
  /** `--profile`: a package folder or a profile module. */
  readonly profile?: string;
  /** `--skip`, once each: checks left out (slow ones that the plugin's own tests run). */
  readonly skip?: readonly string[];
}

/** `wharf plugin check <target> [--profile P] [--skip S]...` */
export async function pluginCheck(target: string, options: CheckOptions = {}): Promise<CheckRun> {
  const lines: string[] = [];
  const errors: string[] = [];
  // As process.argv: node, the script, then the arguments.
  const argv = [process.execPath, 'wharf', 'plugin', 'check', target,
    ...(options.profile ? ['--profile', options.profile] : []),
    ...(options.skip ?? []).flatMap((s) => ['--skip', s])];
  const code = await main(argv, { out: (line) => lines.push(...line.split('\n')), err: (line) => errors.push(line) });
  return { code, lines, errors: errors.join('\n') };
}

const shown = (run: CheckRun): string => `exit ${run.code}\n${run.lines.filter((l) => !l.startsWith('✓')).join('\n')}\n${run.errors}`;

/** Exit 0, and every line of a check is a ✓ (and there are some, unless the profile says there is nothing to check). */
export function expectPassed(run: CheckRun): void {
  expect(run.code, shown(run)).to.equal(0);
  expect(run.lines.filter((l) => l.startsWith('✗ ')), 'failed checks').to.deep.equal([]);
  expect(run.lines.filter((l) => l.startsWith('not checked: ')), 'what was not checked').to.deep.equal([]);
  const checked = run.lines.filter((l) => l.startsWith('✓ ')).length;
  if (!run.lines.some((l) => l.startsWith('nothing to check for '))) expect(checked, shown(run)).to.be.greaterThan(5);
}

/** Exit 1, everything was checked, and each named check (a part of its title) has its ✗ line. */
export function expectCaught(run: CheckRun, checks: readonly string[]): void {
  expect(run.code, shown(run)).to.equal(1);
  expect(run.lines.filter((l) => l.startsWith('not checked: ')), 'everything was checked').to.deep.equal([]);
  const failed = run.lines.filter((l) => l.startsWith('✗ '));
  for (const check of checks) {
    expect(failed.some((l) => l.includes(check)), `a ✗ line for "${check}"; the failures were:\n${failed.join('\n')}`).to.equal(true);
  }
}

/** The broken variants in broken/<folder>/ (the sources, so a stale compiled file is not taken for one): names without extension. */
export function variantsIn(folder: string): string[] {
  const source = fileURLToPath(new URL(`../../test/broken/${folder}/`, import.meta.url));
  return readdirSync(source, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => e.name.slice(0, -'.ts'.length))
    .sort();
}
