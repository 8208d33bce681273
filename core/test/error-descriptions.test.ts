/** Every error code is described (docs/errors.md is made from these), and only real codes are. */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { ErrorCodes } from '../src/errors.js';
import { ERROR_DESCRIPTIONS } from '../src/error-descriptions.js';

describe('error descriptions', () => {
  it('describe every code in ErrorCodes, and nothing else', () => {
    expect(Object.keys(ERROR_DESCRIPTIONS).sort()).to.deep.equal(Object.keys(ErrorCodes).sort());
  });

  it('give each code a one-line meaning, a remedy and who meets it', () => {
    for (const [name, d] of Object.entries(ERROR_DESCRIPTIONS)) {
      expect(d.meaning, `${name}.meaning`).to.match(/^[A-Z].*\.$/).and.not.contain('\n');
      expect(d.remedy, `${name}.remedy`).to.match(/^\S.*\.$/).and.not.contain('\n');
      expect(d.seenBy, `${name}.seenBy`).to.have.length.greaterThan(0);
      for (const who of d.seenBy) expect(['client', 'operator', 'plugin author'], `${name}.seenBy`).to.include(who);
    }
  });
});
