/**
 * Users and scrypt password hashes from the plugin's options. Decisions follow the chain's
 * contract (@wharf/core `Authenticator`): accept with a principal, reject, or abstain (undefined)
 * to let a later authenticator decide. An unknown name costs the same scrypt work as a wrong
 * password and gets the same answer, so neither the answer nor its timing says who exists.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import type { AuthDecision, Authenticator, Credentials } from '@wharf/core';

const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
const KEY_LENGTH = 32;

export interface UserEntry {
  /** `scrypt:<salt, base64>:<key, base64>`, as hashPassword() makes it. */
  readonly passwordHash: string;
  readonly groups?: readonly string[];
}

export interface AuthenticatorOptions {
  readonly users: Readonly<Record<string, UserEntry>>;
  /** Set: clients without credentials are let in as `anonymous` with these groups. */
  readonly anonymousGroups?: readonly string[];
}

/** Makes a `passwordHash` for the options (`node -e "import('PKG').then(m => m.hashPassword('secret')).then(console.log)"`). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('base64')}:${(await scryptAsync(password, salt, KEY_LENGTH)).toString('base64')}`;
}

interface Parsed {
  readonly salt: Buffer;
  readonly key: Buffer;
  readonly groups: readonly string[];
}

export class OptionsAuthenticator implements Authenticator {
  private readonly users = new Map<string, Parsed>();
  /** Checked for unknown names, so they cost what a known one does. */
  private readonly decoy: Parsed = { salt: randomBytes(16), key: randomBytes(KEY_LENGTH), groups: [] };

  constructor(readonly name: string, private readonly options: AuthenticatorOptions) {
    for (const [user, entry] of Object.entries(options.users)) this.users.set(user, parse(user, entry));
  }

  /** Adds or replaces a user while running. */
  async addUser(user: string, password: string, groups: readonly string[]): Promise<void> {
    this.users.set(user, parse(user, { passwordHash: await hashPassword(password), groups }));
  }

  async authenticate(credentials: Credentials): Promise<AuthDecision> {
    const { login, passcode } = credentials;
    if (login === undefined && passcode === undefined && this.options.anonymousGroups) {
      return { principal: { name: 'anonymous', groups: [...this.options.anonymousGroups], anonymous: true } };
    }
    if (!login) return { rejected: true };
    const known = this.users.get(login);
    const user = known ?? this.decoy;
    const key = await scryptAsync(passcode ?? '', user.salt, KEY_LENGTH);
    const match = timingSafeEqual(key, user.key);
    if (!known || !match || !passcode) return { rejected: true };
    return { principal: { name: login, groups: [...known.groups], anonymous: false } };
  }
}

function parse(user: string, entry: UserEntry): Parsed {
  const [scheme, salt, key] = entry.passwordHash.split(':');
  if (scheme !== 'scrypt' || !salt || !key) {
    throw new Error(`user ${user}: passwordHash must be "scrypt:<salt>:<key>" as hashPassword() makes it`);
  }
  return { salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64'), groups: entry.groups ?? [] };
}
