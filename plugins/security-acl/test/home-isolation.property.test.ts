/**
 * Home areas cannot overlap (issue 15, item 4): with the shipped rule `^/queue/home\.${user}\.`,
 * users "bob" and "bob.x" used to share /queue/home.bob.x.*. Checked as properties over generated
 * names against the rules of the shipped example config (config/examples/secured.yaml), through the
 * authorizer a broker uses.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import fc from 'fast-check';
import { parse } from 'yaml';
import { AclAuthorizer } from '../src/acl-authorizer.js';
import { compileOptionRules } from '../src/acl-rules.js';
import { isPlaceholderName } from '../src/names.js';
import type { RuleSpec } from '../src/options.js';
import { escapeRegex } from '../src/rule.js';
import { user } from './helpers.js';

const SHIPPED = fileURLToPath(new URL('../../../../config/examples/secured.yaml', import.meta.url));

/** The `${user}` rules of the shipped secured example, as its ACL plugin entry lists them. */
function shippedUserRules(): RuleSpec[] {
  const config = parse(readFileSync(SHIPPED, 'utf8')) as { plugins: Array<string | { use: string; options?: { rules?: RuleSpec[] } }> };
  const acl = config.plugins.find((p) => typeof p !== 'string' && p.use === '@wharf/security-acl');
  const rules = (acl as { options: { rules: RuleSpec[] } }).options.rules.filter((r) => r.match.includes('${user}'));
  expect(rules, 'the shipped example has a ${user} home rule').to.have.length.greaterThan(0);
  return rules;
}

const SAFE_CHARS = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-'];
/** A name in the allowed set; short ones often, so that prefixes of each other come up. */
const safeName = fc.string({ unit: fc.constantFrom(...SAFE_CHARS), minLength: 1, maxLength: 64 });
/** Pairs of distinct allowed names, many of them one a prefix of the other (the case that leaked). */
const distinctPair = fc.oneof(
  fc.tuple(safeName, safeName),
  fc.tuple(safeName, fc.string({ unit: fc.constantFrom(...SAFE_CHARS), minLength: 1, maxLength: 8 })).map(([a, s]) => [a, (a + s).slice(0, 64)] as [string, string]),
).filter(([a, b]) => a !== b);
/** The rest of a destination name: anything, dots, slashes and the names' own characters included. */
const tail = fc.string({ unit: fc.oneof(fc.constantFrom('.', '/', 'x', '-', '_', '\\'), fc.string({ maxLength: 1 })), maxLength: 24 });

describe('home areas (${user} rules) never overlap', () => {
  const authorizer = new AclAuthorizer(compileOptionRules({ rules: shippedUserRules() }));
  const hasRights = (name: string, destination: string): boolean => authorizer.rights(user(name), destination).size > 0;

  it('gives each allowed name its own home (the property is not vacuous)', () => {
    fc.assert(fc.property(safeName, (a) => {
      expect(hasRights(a, `/queue/home.${a}.inbox`)).to.equal(true);
    }));
  });

  it('for two distinct allowed names, no destination of one home is in the other', () => {
    fc.assert(fc.property(distinctPair, tail, fc.boolean(), ([a, b], rest, swap) => {
      const [owner, other] = swap ? [b, a] : [a, b];
      // Destinations in owner's home, built to look like other's as far as possible.
      const candidates = [
        `/queue/home.${owner}.${rest}`,
        `/queue/home.${owner}.${other.slice(owner.length)}${rest}`,
        `/queue/home.${other}.${rest}`,
        `/queue/home.${owner}${rest}`,
      ];
      for (const d of candidates) {
        if (hasRights(owner, d)) expect(hasRights(other, d), `${other} on ${d}, in ${owner}'s home`).to.equal(false);
      }
    }), { numRuns: 2000 });
  });

  it('reproduces the leak that was found: bob gets nothing of bob.x, and "bob.x" gets no home at all', () => {
    expect(hasRights('bob', '/queue/home.bob.inbox')).to.equal(true);
    expect(hasRights('bob.x', '/queue/home.bob.x.inbox'), 'a name with "." is never substituted').to.equal(false);
    expect(hasRights('bob_x', '/queue/home.bob_x.inbox')).to.equal(true);
    expect(hasRights('bob', '/queue/home.bob_x.inbox')).to.equal(false);
  });

  it('holds for any two names at all (from any authenticator): a name outside the set is never substituted', () => {
    fc.assert(fc.property(fc.string({ maxLength: 20 }), fc.string({ maxLength: 20 }), tail, (a, b, rest) => {
      fc.pre(a !== b);
      for (const d of [`/queue/home.${a}.${rest}`, `/queue/home.${b}.${rest}`]) {
        expect(hasRights(a, d) && hasRights(b, d), `${JSON.stringify(a)} and ${JSON.stringify(b)} both on ${JSON.stringify(d)}`).to.equal(false);
      }
      if (!isPlaceholderName(a)) expect(authorizer.grantsAnything(user(a))).to.equal(false);
    }), { numRuns: 2000 });
  });

  it('expands ${group} only for groups in the allowed set', () => {
    const a = new AclAuthorizer(compileOptionRules({ rules: [{ match: '^/topic/team\\.${group}\\.', groups: ['*'], allow: ['read'] }] }));
    expect([...a.rights(user('u', ['red']), '/topic/team.red.x')]).to.deep.equal(['read']);
    expect([...a.rights(user('u', ['red']), '/topic/team.red.x.y')]).to.deep.equal(['read']);
    expect([...a.rights(user('v', ['red.x']), '/topic/team.red.x.y')], 'a group with "."').to.deep.equal([]);
  });
});

describe('escapeRegex', () => {
  it('makes any string match only itself', () => {
    fc.assert(fc.property(fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 }), (s, t) => {
      const exact = new RegExp(`^${escapeRegex(s)}$`);
      expect(exact.test(s)).to.equal(true);
      expect(exact.test(t)).to.equal(s === t);
    }), { numRuns: 2000 });
  });
});
