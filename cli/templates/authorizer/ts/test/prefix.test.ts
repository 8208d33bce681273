/** This authorizer's own behaviour: a prefix rule covers every name that starts with it, and only those. */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { PrefixAuthorizer } from '../src/authorizer.js';

const worker = { name: 'w1', groups: ['workers'], anonymous: false };

describe('__NAME__: prefixes', () => {
  it('gives a prefix rule\'s rights on every name under it, and a deny on one name takes one right back', () => {
    const authorizer = new PrefixAuthorizer('__NAME__', [
      { prefix: '/queue/jobs.', groups: ['workers'], allow: ['read', 'write'] },
      { destination: '/queue/jobs.audit', groups: ['workers'], deny: ['write'] },
    ]);
    expect([...authorizer.rights(worker, '/queue/jobs.mail')].sort()).to.deep.equal(['read', 'write']);
    expect([...authorizer.rights(worker, '/queue/jobs.audit')]).to.deep.equal(['read']);
    expect([...authorizer.rights(worker, '/queue/jobs')], 'the prefix itself is not under it').to.deep.equal([]);
  });
});
