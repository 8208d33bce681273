// @ts-check
/** docs/errors.md is generated from core: this fails when it is out of date (a code added, a text changed). */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { ERRORS_MD, loadCodes, render } from '../error-codes.mjs';

describe('docs/errors.md', () => {
  it('is what docs/tools/error-codes.mjs makes from core\'s ErrorCodes and their descriptions', async () => {
    const expected = render(await loadCodes());
    const actual = readFileSync(ERRORS_MD, 'utf8');
    // Not deep-equal on the whole text, so a failure names the first line that differs.
    const a = actual.split('\n');
    const e = expected.split('\n');
    const first = e.findIndex((line, i) => a[i] !== line);
    expect(first === -1 && a.length === e.length, `docs/errors.md is out of date at line ${first + 1}: run \`node docs/tools/error-codes.mjs\``).to.equal(true);
  });

  it('has a section for every code, which the guides can link to', async () => {
    const text = readFileSync(ERRORS_MD, 'utf8');
    for (const { code } of await loadCodes()) expect(text).to.contain(`\n## ${code}\n`);
  });
});
