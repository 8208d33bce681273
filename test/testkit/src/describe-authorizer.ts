/**
 * The conformance suite every authorizer passes: no rule, no right; rights are a set of valid right
 * names; a grant gives exactly its rights to exactly whom it names, on exactly its destination;
 * groups are not users; grants add up; deny wins over allow; answers are stable; grantsAnything
 * (when implemented) never says no where a right exists; and live changes (when supported) fire
 * onChange and take effect.
 *
 * Authorizers differ in how rules are written, so the suite speaks in grants on exact destination
 * names and each authorizer translates them into its own rules:
 *
 *   describeAuthorizer('acl', {
 *     create: async (grants) => ({ authorizer: aclFrom(grants), update: async (grants) => ... }),
 *   });
 */
import { after, describe, it } from 'mocha';
import { expect } from 'chai';
import { ALL_RIGHTS, type Authorizer, type Principal, type Right } from '@wharf/core';

/** Rights on one exact destination name, for the users and/or groups named. */
export interface Grant {
  readonly destination: string;
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
  readonly allow?: readonly Right[];
  readonly deny?: readonly Right[];
}

export interface AuthorizerUnderTest {
  readonly authorizer: Authorizer;
  /** Replaces the grants while running (a file re-read); resolves once they take effect. */
  update?(grants: readonly Grant[]): Promise<void>;
  close?(): void | Promise<void>;
}

/** What the suite hands `create` besides the grants. */
export interface AuthorizerSetup {
  /**
   * Given by runConformance: loads the plugin under test as the broker does, with these plugin
   * `options` (relative paths taken from `configDir`), runs its start hooks and returns the
   * authorizer under test. What it loaded is stopped after the suite.
   */
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Authorizer>;
}

export interface AuthorizerSuiteOptions {
  /** An authorizer giving exactly `grants` (translated into its own rules). */
  create(grants: readonly Grant[], setup: AuthorizerSetup): Promise<AuthorizerUnderTest>;
  /** Default true: the authorizer can deny, and a deny wins over any allow. */
  readonly supportsDeny?: boolean;
}

const user = (name: string, groups: readonly string[] = []): Principal => ({ name, groups, anonymous: false });
const ANONYMOUS: Principal = { name: 'anonymous', groups: [], anonymous: true };
const sorted = (rights: ReadonlySet<Right>): Right[] => [...rights].sort();

/** Registers a mocha `describe` block that checks an authorizer against the contract. */
export function describeAuthorizer(name: string, options: AuthorizerSuiteOptions, setup: AuthorizerSetup = {}): void {
  describe(`authorizer conformance: ${name}`, function () {
    this.timeout(20000);
    const opened: AuthorizerUnderTest[] = [];
    const create = async (grants: readonly Grant[]): Promise<AuthorizerUnderTest> => {
      const made = await options.create(grants, setup);
      opened.push(made);
      return made;
    };
    const rightsOf = (made: AuthorizerUnderTest, principal: Principal, destination: string): Right[] => {
      const rights = made.authorizer.rights(principal, destination);
      expect(rights, 'rights() returns a Set').to.be.instanceOf(Set);
      for (const r of rights) expect(ALL_RIGHTS, 'each right is a known right').to.include(r);
      return sorted(rights);
    };

    after(async () => {
      for (const made of opened) await made.close?.();
    });

    it('gives no right when no rule applies', async () => {
      const made = await create([]);
      expect(made.authorizer.name).to.be.a('string').and.not.equal('');
      for (const p of [user('alice', ['admins']), ANONYMOUS]) {
        for (const d of ['/queue/a', '/topic/b', '/command/list']) expect(rightsOf(made, p, d), `${p.name} on ${d}`).to.deep.equal([]);
      }
    });

    it('gives exactly the granted rights, to the named user, on the named destination only', async () => {
      const made = await create([{ destination: '/queue/orders', users: ['alice'], allow: ['read', 'write'] }]);
      expect(rightsOf(made, user('alice'), '/queue/orders')).to.deep.equal(['read', 'write']);
      expect(rightsOf(made, user('alice'), '/queue/orders-archive'), 'a longer name').to.deep.equal([]);
      expect(rightsOf(made, user('alice'), '/queue/other')).to.deep.equal([]);
      expect(rightsOf(made, user('bob'), '/queue/orders'), 'another user').to.deep.equal([]);
      expect(rightsOf(made, ANONYMOUS, '/queue/orders')).to.deep.equal([]);
    });

    it('treats a destination name as exactly that name: dots match only dots, and a name ending with it is another', async () => {
      const made = await create([{ destination: '/queue/a.b', users: ['alice'], allow: ['read'] }]);
      expect(rightsOf(made, user('alice'), '/queue/a.b')).to.deep.equal(['read']);
      expect(rightsOf(made, user('alice'), '/queue/aXb'), 'a dot is not any character').to.deep.equal([]);
      expect(rightsOf(made, user('alice'), '/queue/x/queue/a.b'), 'a name that ends with it').to.deep.equal([]);
    });

    it("gives a group's rights to its members only; a user named like the group is not a member", async () => {
      const made = await create([{ destination: '/queue/jobs', groups: ['workers'], allow: ['read'] }]);
      expect(rightsOf(made, user('w1', ['workers']), '/queue/jobs')).to.deep.equal(['read']);
      expect(rightsOf(made, user('w2', ['ops', 'workers']), '/queue/jobs')).to.deep.equal(['read']);
      expect(rightsOf(made, user('w3', ['ops']), '/queue/jobs')).to.deep.equal([]);
      expect(rightsOf(made, user('workers'), '/queue/jobs')).to.deep.equal([]);
    });

    it('adds up the rights of every grant that applies', async () => {
      const made = await create([
        { destination: '/queue/x', users: ['alice'], allow: ['read'] },
        { destination: '/queue/x', groups: ['staff'], allow: ['write'] },
        { destination: '/queue/x', groups: ['admins'], allow: ['admin', 'create'] },
      ]);
      expect(rightsOf(made, user('alice', ['staff', 'admins']), '/queue/x')).to.deep.equal(['admin', 'create', 'read', 'write']);
      expect(rightsOf(made, user('alice', ['staff']), '/queue/x')).to.deep.equal(['read', 'write']);
    });

    if (options.supportsDeny ?? true) {
      it('lets a deny win over any allow, for whom it names only', async () => {
        const made = await create([
          { destination: '/queue/x', groups: ['staff'], allow: ['read', 'write', 'create'] },
          { destination: '/queue/x', groups: ['interns'], deny: ['write'] },
        ]);
        expect(rightsOf(made, user('ivy', ['staff', 'interns']), '/queue/x')).to.deep.equal(['create', 'read']);
        expect(rightsOf(made, user('sam', ['staff']), '/queue/x')).to.deep.equal(['create', 'read', 'write']);
      });

      it('lets a deny win whatever the order of the grants', async () => {
        const made = await create([
          { destination: '/queue/y', users: ['alice'], deny: ['read'] },
          { destination: '/queue/y', users: ['alice'], allow: ['read', 'write'] },
        ]);
        expect(rightsOf(made, user('alice'), '/queue/y')).to.deep.equal(['write']);
      });
    }

    it('answers the same question the same way every time', async () => {
      const made = await create([{ destination: '/queue/z', users: ['alice'], allow: ['read'] }]);
      const first = rightsOf(made, user('alice'), '/queue/z');
      for (let i = 0; i < 5; i++) expect(rightsOf(made, user('alice'), '/queue/z')).to.deep.equal(first);
    });

    it('if it implements grantsAnything, says yes wherever some right exists and no for strangers', async () => {
      const made = await create([{ destination: '/queue/z', users: ['alice'], allow: ['read'] }]);
      const grantsAnything = made.authorizer.grantsAnything?.bind(made.authorizer);
      if (!grantsAnything) return;
      expect(grantsAnything(user('alice'))).to.equal(true);
      expect(grantsAnything(user('bob'))).to.equal(false);
      expect(grantsAnything(ANONYMOUS)).to.equal(false);
      expect((await create([])).authorizer.grantsAnything!(user('alice'))).to.equal(false);
    });

    it('if its rules can change while running, tells core through onChange and answers by the new rules', async () => {
      const made = await create([{ destination: '/queue/live', users: ['alice'], allow: ['read'] }]);
      if (!made.update) return;
      expect(made.authorizer.onChange, 'an authorizer whose rules change must offer onChange').to.be.a('function');
      let changes = 0;
      made.authorizer.onChange!(() => changes++);
      await made.update([{ destination: '/queue/live', users: ['bob'], allow: ['write'] }]);
      expect(changes, 'onChange fired').to.be.greaterThan(0);
      expect(rightsOf(made, user('alice'), '/queue/live')).to.deep.equal([]);
      expect(rightsOf(made, user('bob'), '/queue/live')).to.deep.equal(['write']);
    });
  });
}
