/**
 * In this repo the package builds with the monorepo (tsconfig.json extends the repo's base and
 * references core's project). An author outside the repo has neither: tsconfig.standalone.json is
 * the tsconfig they would use (the guide shows it). This checks that it compiles the package.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describe, it } from 'mocha';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
// typescript's package.json is exported; its bin is not, so it is found next to it.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

describe('priority example (TypeScript): outside the repo', () => {
  it('compiles with tsconfig.standalone.json, which needs nothing of the monorepo', function () {
    this.timeout(60000);
    const result = spawnSync(process.execPath, [tsc, '-p', join(packageRoot, 'tsconfig.standalone.json'), '--noEmit'], { encoding: 'utf8' });
    expect(result.stdout + result.stderr, 'tsc reports no errors').to.equal('');
    expect(result.status).to.equal(0);
  });
});
