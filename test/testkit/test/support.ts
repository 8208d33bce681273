/** Helpers of the testkit's own tests: where the broken variants and the in-repo packages are, and what a run must show. */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { ConformanceRun } from '../src/index.js';

const require = createRequire(import.meta.url);

/** A compiled broken variant, by its path under broken/ (`queue-types/fan-out`). */
export const variant = (name: string): string => fileURLToPath(new URL(`./broken/${name}.js`, import.meta.url));

/** An installed package's folder, as `wharf plugin check <folder>` is given it. */
export const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));

export const docsExample = (name: string): string => fileURLToPath(new URL(`../../../../docs/examples/${name}`, import.meta.url));

const failedTitles = (run: ConformanceRun): string[] => run.results.filter((r) => !r.passed).map((r) => `${r.title}: ${r.error?.split('\n')[0]}`);

/** The run failed, and each of the checks named (by a part of their title) is among the failures. */
export function expectCaught(run: ConformanceRun, checks: readonly string[]): void {
  expect(run.unchecked, 'everything was checked').to.deep.equal([]);
  expect(run.failed, 'the run reports failures').to.be.greaterThan(0);
  for (const check of checks) {
    expect(run.results.some((r) => !r.passed && r.title.includes(check)), `the check "${check}" fails; the failures were:\n${failedTitles(run).join('\n')}`).to.equal(true);
  }
}

/** Every check passed, and there were some. */
export function expectPassed(run: ConformanceRun): void {
  expect(failedTitles(run), 'failed checks').to.deep.equal([]);
  expect(run.unchecked, 'everything was checked').to.deep.equal([]);
  expect(run.passed).to.be.greaterThan(5);
}
