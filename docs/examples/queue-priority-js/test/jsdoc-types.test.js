// @ts-check
/**
 * The JSDoc types are part of the example: an editor shows them, and `npm run typecheck` checks the
 * code against @wharf/core's declarations with them. This keeps them true: a property renamed in
 * core, or a wrong @param, fails here.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { describe, it } from 'mocha';

const here = dirname(fileURLToPath(import.meta.url));
// typescript's package.json is exported; its bin is not, so it is found next to it.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');

describe('priority example (JavaScript): JSDoc types', () => {
  it('type-checks src and test with tsc --checkJs against @wharf/core', function () {
    this.timeout(60000);
    const result = spawnSync(process.execPath, [tsc, '-p', join(here, '..', 'jsconfig.json')], { encoding: 'utf8' });
    expect(result.stdout + result.stderr, 'tsc reports no errors').to.equal('');
    expect(result.status).to.equal(0);
  });
});
