/**
 * The users-file authenticator. Its decisions, in this order (docs/security.md, "The chain"):
 *
 * 1. A login was sent (non-empty): the password decides.
 *    - known user with a password, right passcode → accept (name, groups from the file);
 *    - wrong passcode, a user without a password, or an unknown name → reject, after the same
 *      scrypt work (a decoy hash for unknown names) and after the failure delay of the address
 *      (failure-throttle.ts); checks wait their turn fairly (fair-scheduler.ts);
 *    - except: an unknown name with `unknownUsers: abstain` → abstain (the next authenticator,
 *      e.g. LDAP, may know it).
 * 2. No login, `certificates: true`, and the transport verified a client certificate: its subject
 *    CN is the user name → accept with the file's groups; a CN not in the file → reject (the file
 *    is the list of who exists; a stranger's certificate must not fall through to anonymous), or
 *    abstain with `unknownUsers: abstain`. A certificate with several CNs, or a CN that is not a
 *    safe name (names.ts), is rejected.
 * 3. No login, `anonymous` configured → accept as { name: 'anonymous', anonymous: true, groups }.
 * 4. Otherwise → abstain; if nothing later in the chain accepts, core refuses the client.
 *
 * Passcodes are never logged, stored or returned; failed login names are not logged either (people
 * type passwords into the login field).
 */
import type { Logger } from '@wharf/core';
import type { AuthDecision, Authenticator, ConnectionInfo, Credentials, Principal, SettingRef } from '@wharf/core';
import { FailureThrottle, sleep } from './failure-throttle.js';
import { FairScheduler } from './fair-scheduler.js';
import { PLUGIN_NAME, type UsersOptions } from './options.js';
import { decoyHash, verifyPassword, type ParsedHash } from './password-hash.js';
import { ANONYMOUS_NAME, isSafeName } from './names.js';
import type { UserStore } from './user-store.js';

const REJECTED: AuthDecision = Object.freeze({ rejected: true as const });

export class UsersAuthenticator implements Authenticator {
  readonly name = 'users-file';
  private readonly throttle: FailureThrottle;
  /** Password checks queue here fairly (fair-scheduler.ts), not in libuv's first-come pool. */
  private readonly checks = new FairScheduler();
  private readonly anonymous: Principal | undefined;
  private decoy: ParsedHash;

  constructor(
    private readonly users: UserStore,
    private readonly options: Pick<UsersOptions, 'anonymous' | 'certificates' | 'unknownUsers' | 'throttle'>,
    private readonly logger: Logger,
  ) {
    this.throttle = new FailureThrottle({ ...options.throttle, maxAddresses: 10_000 });
    this.anonymous = options.anonymous
      ? Object.freeze({ name: ANONYMOUS_NAME, groups: Object.freeze([...options.anonymous.groups]), anonymous: true })
      : undefined;
    this.decoy = decoyHash();
    // Same scrypt parameters as the users' own hashes, so the decoy costs what a real check costs.
    users.onReload(() => this.refreshDecoy());
  }

  /** The broker stops: password checks still waiting are dropped (they would only burn CPU). */
  close(): void {
    this.checks.close();
  }

  refreshDecoy(): void {
    const sample = this.users.anyPassword();
    this.decoy = decoyHash(sample ? { N: sample.N, r: sample.r, p: sample.p } : undefined);
  }

  async authenticate(credentials: Credentials, connection: ConnectionInfo): Promise<AuthDecision> {
    if (credentials.login) return this.byPassword(credentials.login, credentials.passcode ?? '', connection);
    if (this.options.certificates && connection.peerCertificate) return this.byCertificate(connection);
    if (this.anonymous) return { principal: this.anonymous };
    return undefined;
  }

  /** The `anonymous` option, for the start-up safety check's error (it lets clients without credentials in). */
  guestSetting(): SettingRef | undefined {
    if (!this.anonymous) return undefined;
    return {
      plugin: PLUGIN_NAME,
      path: ['options', 'anonymous'],
      text: `anonymous: { groups: [${this.anonymous.groups.join(', ')}] } lets clients without credentials in as "${ANONYMOUS_NAME}"`,
    };
  }

  private async byPassword(login: string, passcode: string, connection: ConnectionInfo): Promise<AuthDecision> {
    const user = this.users.get(login);
    const key = `${connection.remoteAddress}\u0000${user ? user.name : '\u0000unknown'}`;
    const ok = await this.checks.run(key, () => verifyPassword(passcode, user?.password ?? this.decoy));
    if (ok && user?.password) {
      this.logger.debug({ user: login, connection: connection.id }, 'password accepted');
      return { principal: principalOf(user.name, user.groups) };
    }
    if (!user && this.options.unknownUsers === 'abstain') return undefined;
    const delay = this.throttle.failure(connection.remoteAddress);
    if (delay >= this.options.throttle.maxDelayMs && delay > 0) {
      this.logger.warn({ remoteAddress: connection.remoteAddress, failures: this.throttle.failures(connection.remoteAddress) },
        'repeated failed logins from one address: answers are delayed');
    }
    await sleep(delay);
    return REJECTED;
  }

  private byCertificate(connection: ConnectionInfo): AuthDecision {
    const cn = connection.peerCertificate!.subject.CN;
    // A CN outside the safe name set (docs/security.md, "User names and home destinations") can
    // be no user's: refused outright, even with unknownUsers: abstain, so no later authenticator
    // lets a "bob.x" in whose home area would overlap bob's.
    if (typeof cn !== 'string' || !isSafeName(cn)) return REJECTED;
    const user = this.users.get(cn);
    if (!user) return this.options.unknownUsers === 'abstain' ? undefined : REJECTED;
    this.logger.debug({ user: cn, connection: connection.id }, 'client certificate accepted');
    return { principal: principalOf(user.name, user.groups) };
  }
}

function principalOf(name: string, groups: readonly string[]): Principal {
  return Object.freeze({ name, groups: Object.freeze([...groups]), anonymous: false });
}
