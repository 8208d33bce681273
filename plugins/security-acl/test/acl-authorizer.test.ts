/** Rule semantics beyond the conformance suite: regexes, placeholders, `*`, anonymous, explanations. */
import { expect } from 'chai';
import { ConfigError } from '@wharf/core';
import { AclAuthorizer } from '../src/acl-authorizer.js';
import { compileOptionRules } from '../src/acl-rules.js';
import { escapeRegex } from '../src/rule.js';
import type { RuleSpec } from '../src/options.js';
import { anonymous, user } from './helpers.js';

const acl = (rules: RuleSpec[]): AclAuthorizer => new AclAuthorizer(compileOptionRules({ rules }));
const rights = (a: AclAuthorizer, p: ReturnType<typeof user>, d: string): string[] => [...a.rights(p, d)].sort();

describe('ACL rules', () => {
  it('searches the regex in the destination name, as routing rules do', () => {
    const a = acl([{ match: '^/queue/orders\\.', groups: ['staff'], allow: ['read'] }]);
    expect(rights(a, user('s', ['staff']), '/queue/orders.eu')).to.deep.equal(['read']);
    expect(rights(a, user('s', ['staff']), '/queue/ordersX')).to.deep.equal([]);
  });

  it('gives every user a private area with ${user}, escaped', () => {
    const a = acl([{ match: '^/queue/home\\.${user}\\.', users: ['*'], allow: ['create', 'read', 'write'] }]);
    expect(rights(a, user('alice'), '/queue/home.alice.inbox')).to.deep.equal(['create', 'read', 'write']);
    expect(rights(a, user('alice'), '/queue/home.bob.inbox')).to.deep.equal([]);
    // "a-b" is a name, not a pattern ("-" is escaped): it matches only itself.
    expect(rights(a, user('a-b'), '/queue/home.a-b.x')).to.deep.equal(['create', 'read', 'write']);
    expect(rights(a, user('a-b'), '/queue/home.a.b.x')).to.deep.equal([]);
    // A name outside the safe set (here with the "." that ends the area) is never substituted.
    expect(rights(a, user('a.b'), '/queue/home.a.b.x')).to.deep.equal([]);
    expect(rights(a, user('.*'), '/queue/home.alice.inbox'), 'a name full of regex characters').to.deep.equal([]);
  });

  it('never gives anonymous clients a ${user} area', () => {
    const a = acl([{ match: '^/queue/home\\.${user}\\.', users: ['*'], allow: ['read'] }]);
    expect(rights(a, anonymous(), '/queue/home.anonymous.x')).to.deep.equal([]);
    expect(a.grantsAnything(anonymous())).to.equal(false);
  });

  it('expands ${group} once per group of the caller', () => {
    const a = acl([{ match: '^/topic/team\\.${group}$', groups: ['*'], allow: ['read'] }]);
    const p = user('alice', ['red', 'blue']);
    expect(rights(a, p, '/topic/team.red')).to.deep.equal(['read']);
    expect(rights(a, p, '/topic/team.blue')).to.deep.equal(['read']);
    expect(rights(a, p, '/topic/team.green')).to.deep.equal([]);
    expect(rights(a, user('loner'), '/topic/team.red')).to.deep.equal([]);
  });

  it('lets "*" name everyone, anonymous clients included', () => {
    const a = acl([{ match: '^/topic/public\\.', users: ['*'], allow: ['read'] }]);
    expect(rights(a, anonymous(['guest']), '/topic/public.news')).to.deep.equal(['read']);
    expect(a.grantsAnything(anonymous())).to.equal(true);
  });

  it('takes a deny from any rule that names the caller, in any order', () => {
    const a = acl([
      { match: '^/queue/', groups: ['staff'], allow: ['create', 'read', 'write'] },
      { match: '^/queue/payroll$', users: ['*'], deny: ['read', 'write'] },
      { match: '^/queue/payroll$', groups: ['hr'], allow: ['read'] },
    ]);
    expect(rights(a, user('h', ['staff', 'hr']), '/queue/payroll')).to.deep.equal(['create']);
    expect(rights(a, user('h', ['staff', 'hr']), '/queue/other')).to.deep.equal(['create', 'read', 'write']);
  });

  it('explains which rules named the caller and which matched', () => {
    const a = acl([
      { match: '^/queue/', groups: ['staff'], allow: ['read', 'write'] },
      { match: '^/queue/secret', users: ['alice'], deny: ['write'] },
      { match: '^/topic/', groups: ['ops'], allow: ['read'] },
    ]);
    const e = a.explain(user('alice', ['staff']), '/queue/secret.x');
    expect([...e.rights]).to.deep.equal(['read']);
    expect(e.rules.map((r) => [r.where, r.matches])).to.deep.equal([['options.rules[0]', true], ['options.rules[1]', true]]);
  });

  it('reports a bad regex naming the rule', () => {
    expect(() => compileOptionRules({ rules: [{ match: '^/ok', users: ['*'] }, { match: '^/queue/([', users: ['*'] }] }))
      .to.throw(ConfigError, /options\.rules\[1\]\.match: not a valid regular expression/);
  });

  it('escapes every regex character', () => {
    const special = 'a.b*c+d?e^f$g{h}i(j)k|l[m]n\\o/p-q';
    expect(new RegExp(`^${escapeRegex(special)}$`).test(special)).to.equal(true);
  });
});
