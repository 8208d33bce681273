/**
 * A security plugin for tests: a fixed table of users with passcodes and rights. Conformance
 * suites and end-to-end tests load the same one into every broker, so a refusal reads the same
 * whichever protocol the client speaks.
 */
import { ALL_RIGHTS, definePlugin, type PluginDefinition, type Principal, type Right } from '@wharf/core';

export interface TestUser {
  readonly passcode: string;
  /** The rights this user has on every destination; all four by default. */
  readonly rights?: readonly Right[];
}

/** `alice` may do anything; `guest` may only read (subscribe), so its sends are refused. */
export const TEST_USERS: Readonly<Record<string, TestUser>> = Object.freeze({
  alice: { passcode: 'alice-secret' },
  guest: { passcode: 'guest-secret', rights: ['read'] },
});

export function testSecurityPlugin(users: Readonly<Record<string, TestUser>> = TEST_USERS): PluginDefinition<never> {
  return definePlugin({ kind: 'security', name: 'testkit-security', core: '^0.1.0' }, (ctx) => {
    ctx.authenticator({
      name: 'testkit-users',
      authenticate(credentials) {
        const user = credentials.login === undefined ? undefined : users[credentials.login];
        if (user === undefined || user.passcode !== credentials.passcode) return { rejected: true };
        const principal: Principal = { name: credentials.login!, groups: [], anonymous: false };
        return { principal };
      },
    });
    ctx.authorizer({
      name: 'testkit-rights',
      rights: (principal) => new Set(users[principal.name]?.rights ?? ALL_RIGHTS),
    });
  }) as PluginDefinition<never>;
}
