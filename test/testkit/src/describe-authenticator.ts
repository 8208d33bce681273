/**
 * The conformance suite every authenticator passes, first-party or not: good credentials accepted
 * with their groups, wrong passwords and unknown users refused alike (same decision, similar time),
 * no passcode in the principal, abstaining for clients without credentials unless anonymous access
 * was set up, no fall-through from a bad password to anonymous, users added at run time, and
 * concurrent attempts decided independently. A bug found in one authenticator becomes a test here.
 *
 *   describeAuthenticator('users file', {
 *     create: async ({ anonymousGroups }) => ({ authenticator, addUser: (name, password, groups) => ... }),
 *     supportsAnonymous: true,
 *   });
 */
import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import type { AuthDecision, Authenticator, ConnectionInfo, Credentials } from '@wharf/core';

export interface AuthenticatorUnderTest {
  readonly authenticator: Authenticator;
  /** Makes a user known (as the product's own tooling would: a file, a directory entry, ...). Resolves once it takes effect. */
  addUser(name: string, password: string, groups: readonly string[]): Promise<void>;
  close?(): void | Promise<void>;
}

export interface AuthenticatorSetup {
  /** When set, clients without credentials must be let in as anonymous with these groups. */
  readonly anonymousGroups?: readonly string[];
  /**
   * Given by runConformance: loads the plugin under test as the broker does, with these plugin
   * `options` (relative paths taken from `configDir`), runs its start hooks and returns the
   * authenticator under test. What it loaded is stopped after the suite.
   */
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Authenticator>;
}

export interface AuthenticatorSuiteOptions {
  create(setup: AuthenticatorSetup): Promise<AuthenticatorUnderTest>;
  /** The authenticator can let clients without credentials in (create({ anonymousGroups })). */
  readonly supportsAnonymous?: boolean;
  /**
   * Default true: an unknown name is rejected exactly like a wrong password. False for
   * authenticators documented to abstain for names they do not know (so a later one may decide).
   */
  readonly rejectsUnknownUsers?: boolean;
  /** Default true: an unknown name must cost about as much time as a wrong password. */
  readonly checkTiming?: boolean;
}

let addressCounter = 0;

/** A connection from a fresh address each time, so per-address throttling cannot skew the checks. */
export function remoteConnection(overrides: Partial<ConnectionInfo> = {}): ConnectionInfo {
  const n = ++addressCounter;
  return {
    id: `auth-conformance-${n}`, protocol: 'test', transport: 'memory',
    remoteAddress: `2001:db8::${n.toString(16)}`, remotePort: 40000 + (n % 20000), secure: false, ...overrides,
  };
}

/** Checks the decision is one a chain understands: undefined, { rejected: true } or { principal }. */
export function expectDecisionShape(decision: AuthDecision): void {
  if (decision === undefined) return;
  if ('rejected' in decision) {
    expect(decision.rejected).to.equal(true);
    return;
  }
  const p = decision.principal;
  expect(p.name, 'principal.name').to.be.a('string').and.not.equal('');
  expect(p.groups, 'principal.groups').to.be.an('array');
  for (const g of p.groups) expect(g, 'each group').to.be.a('string');
  expect(p.anonymous, 'principal.anonymous').to.be.a('boolean');
}

const accepted = (d: AuthDecision): boolean => d !== undefined && 'principal' in d;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Registers a mocha `describe` block that checks an authenticator against the chain's contract. */
export function describeAuthenticator(name: string, options: AuthenticatorSuiteOptions, runner: Pick<AuthenticatorSetup, 'load'> = {}): void {
  const rejectsUnknown = options.rejectsUnknownUsers ?? true;

  describe(`authenticator conformance: ${name}`, function () {
    this.timeout(30000);
    const opened: AuthenticatorUnderTest[] = [];
    let shared: AuthenticatorUnderTest | undefined;
    const create = async (setup: AuthenticatorSetup = {}): Promise<AuthenticatorUnderTest> => {
      const made = await options.create({ ...runner, ...setup });
      opened.push(made);
      return made;
    };
    /** One authenticator with alice (admins, staff) and bob (staff), shared by the read-only checks. */
    const withUsers = async (): Promise<AuthenticatorUnderTest> => {
      if (shared) return shared;
      const made = await create();
      await made.addUser('alice', 'alice-secret-1', ['admins', 'staff']);
      await made.addUser('bob', 'bob-secret-2', ['staff']);
      shared = made;
      return made;
    };
    const attempt = async (made: AuthenticatorUnderTest, credentials: Credentials, connection = remoteConnection()): Promise<AuthDecision> => {
      const decision = await made.authenticator.authenticate(credentials, connection);
      expectDecisionShape(decision);
      return decision;
    };

    after(async () => {
      for (const made of opened) await made.close?.();
    });

    it('has a name', async () => {
      const { authenticator } = await withUsers();
      expect(authenticator.name).to.be.a('string').and.not.equal('');
    });

    it('accepts a known user with the right password, with its name and groups', async () => {
      const decision = await attempt(await withUsers(), { login: 'alice', passcode: 'alice-secret-1' });
      expect(accepted(decision), 'alice is accepted').to.equal(true);
      const principal = (decision as { principal: { name: string; groups: readonly string[]; anonymous: boolean } }).principal;
      expect(principal.name).to.equal('alice');
      expect([...principal.groups].sort()).to.deep.equal(['admins', 'staff']);
      expect(principal.anonymous).to.equal(false);
    });

    it('never puts the passcode into the principal', async () => {
      const decision = await attempt(await withUsers(), { login: 'bob', passcode: 'bob-secret-2' });
      expect(JSON.stringify(decision)).to.not.contain('bob-secret-2');
    });

    it('rejects a wrong password', async () => {
      const decision = await attempt(await withUsers(), { login: 'alice', passcode: 'wrong' });
      expect(decision).to.deep.equal({ rejected: true });
    });

    it('rejects a missing or empty passcode', async () => {
      const made = await withUsers();
      expect(accepted(await attempt(made, { login: 'alice' }))).to.equal(false);
      expect(accepted(await attempt(made, { login: 'alice', passcode: '' }))).to.equal(false);
    });

    it('rejects a passcode that is only the start of the right one, or the right one with more after it', async () => {
      // A comparison of the first n bytes (a timing-safe compare on buffers cut to one length) lets these in.
      const made = await withUsers();
      for (const passcode of ['alice-secret-', 'a', 'alice-secret-1x', 'alice-secret-1 ', 'ALICE-SECRET-1']) {
        expect(accepted(await attempt(made, { login: 'alice', passcode })), JSON.stringify(passcode)).to.equal(false);
      }
    });

    it("rejects one user's password given for another user", async () => {
      expect(accepted(await attempt(await withUsers(), { login: 'bob', passcode: 'alice-secret-1' }))).to.equal(false);
    });

    it(rejectsUnknown ? 'answers an unknown user exactly as a wrong password' : 'abstains for an unknown user', async () => {
      const made = await withUsers();
      const unknown = await attempt(made, { login: 'mallory', passcode: 'alice-secret-1' });
      if (rejectsUnknown) expect(unknown).to.deep.equal(await attempt(made, { login: 'alice', passcode: 'nope' }));
      else expect(unknown).to.equal(undefined);
    });

    if (options.checkTiming ?? true) {
      it('spends about as long on an unknown user as on a wrong password', async () => {
        const made = await withUsers();
        const wrong: number[] = [];
        const unknown: number[] = [];
        for (let i = 0; i < 3; i++) {
          wrong.push(await timed(() => attempt(made, { login: 'alice', passcode: `nope-${i}` })));
          unknown.push(await timed(() => attempt(made, { login: `nobody-${i}`, passcode: `nope-${i}` })));
        }
        // Loose on purpose (timers, a busy machine): a fast path for unknown names is ~100x off.
        expect(median(unknown), `unknown ${unknown.join(',')} ms vs wrong ${wrong.join(',')} ms`).to.be.at.least(median(wrong) * 0.3);
      });
    }

    it('does not let a client without credentials in when not set up for anonymous access', async () => {
      const made = await withUsers();
      expect(accepted(await attempt(made, {}))).to.equal(false);
      expect(accepted(await attempt(made, { passcode: 'alice-secret-1' })), 'a passcode without a login').to.equal(false);
    });

    if (options.supportsAnonymous) {
      it('lets a client without credentials in as anonymous, with the configured groups, when set up to', async () => {
        const made = await create({ anonymousGroups: ['guest'] });
        const decision = await attempt(made, {});
        expect(accepted(decision)).to.equal(true);
        const principal = (decision as { principal: { anonymous: boolean; groups: readonly string[] } }).principal;
        expect(principal.anonymous).to.equal(true);
        expect([...principal.groups]).to.deep.equal(['guest']);
      });

      it('does not fall back to anonymous for a wrong password', async () => {
        const made = await create({ anonymousGroups: ['guest'] });
        await made.addUser('carol', 'carol-secret-3', ['staff']);
        expect(await attempt(made, { login: 'carol', passcode: 'wrong' })).to.deep.equal({ rejected: true });
        if (rejectsUnknown) expect(await attempt(made, { login: 'nobody', passcode: 'x' })).to.deep.equal({ rejected: true });
      });
    }

    it('accepts a user added while it runs', async () => {
      const made = await create();
      await made.addUser('dave', 'dave-secret-4', ['ops']);
      expect(accepted(await attempt(made, { login: 'dave', passcode: 'dave-secret-4' }))).to.equal(true);
      await made.addUser('erin', 'erin-secret-5', []);
      const decision = await attempt(made, { login: 'erin', passcode: 'erin-secret-5' });
      expect(accepted(decision)).to.equal(true);
      expect((decision as { principal: { groups: readonly string[] } }).principal.groups).to.deep.equal([]);
      expect(accepted(await attempt(made, { login: 'dave', passcode: 'dave-secret-4' })), 'earlier users stay').to.equal(true);
    });

    it('decides concurrent attempts independently', async () => {
      const made = await withUsers();
      const decisions = await Promise.all([
        attempt(made, { login: 'alice', passcode: 'alice-secret-1' }),
        attempt(made, { login: 'alice', passcode: 'bad' }),
        attempt(made, { login: 'bob', passcode: 'bob-secret-2' }),
        attempt(made, { login: 'nobody', passcode: 'bob-secret-2' }),
      ]);
      expect(decisions.map(accepted)).to.deep.equal([true, false, true, false]);
      // Each accepted principal is its own user's (a principal cached or shared across attempts is not).
      const principals = [decisions[0], decisions[2]].map((d) => (d as { principal: { name: string; groups: readonly string[] } }).principal);
      expect(principals.map((p) => [p.name, [...p.groups].sort()])).to.deep.equal([['alice', ['admins', 'staff']], ['bob', ['staff']]]);
    });
  });
}
