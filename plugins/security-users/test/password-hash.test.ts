import { expect } from 'chai';
import { decoyHash, hashPassword, parseHash, verifyPassword, type ParsedHash } from '../src/password-hash.js';

describe('password hashes', () => {
  it('writes scrypt$N$r$p$salt$hash with a fresh salt each time', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).to.match(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).to.not.equal(b);
    expect(a).to.not.contain('s3cret');
  });

  it('verifies the right password and refuses others', async () => {
    const stored = parseHash(await hashPassword('correct horse')) as ParsedHash;
    expect(await verifyPassword('correct horse', stored)).to.equal(true);
    expect(await verifyPassword('correct horsf', stored)).to.equal(false);
    expect(await verifyPassword('', stored)).to.equal(false);
  });

  it('reads hashes made with other parameters', async () => {
    const stored = parseHash(await hashPassword('pw', { N: 1024, r: 4, p: 2 })) as ParsedHash;
    expect([stored.N, stored.r, stored.p]).to.deep.equal([1024, 4, 2]);
    expect(await verifyPassword('pw', stored)).to.equal(true);
  });

  it('refuses malformed or too costly hashes with a reason', () => {
    expect(parseHash('plain-text-password')).to.be.a('string');
    expect(parseHash('scrypt$1000$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).to.contain('power of two');
    expect(parseHash(`scrypt$${2 ** 24}$8$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==`)).to.contain('power of two');
    expect(parseHash('scrypt$1024$99$1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA==')).to.contain('r must');
    expect(parseHash('scrypt$1024$8$1$$')).to.contain('too short');
  });

  it('makes decoys no password matches', async () => {
    expect(await verifyPassword('', decoyHash({ N: 1024, r: 8, p: 1 }))).to.equal(false);
  });
});
