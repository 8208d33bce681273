/**
 * Users and scrypt password hashes from the plugin's options. Decisions follow the chain's
 * contract (@wharf/core `Authenticator`): accept with a principal, reject, or abstain (undefined)
 * to let a later authenticator decide. An unknown name costs the same scrypt work as a wrong
 * password and gets the same answer, so neither the answer nor its timing says who exists.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

/** @typedef {import('@wharf/core').AuthDecision} AuthDecision */
/** @typedef {import('@wharf/core').Authenticator} Authenticator */
/** @typedef {import('@wharf/core').Credentials} Credentials */

/**
 * @typedef {object} UserEntry
 * @property {string} passwordHash `scrypt:<salt, base64>:<key, base64>`, as hashPassword() makes it.
 * @property {readonly string[]} [groups]
 */
/**
 * @typedef {object} AuthenticatorOptions
 * @property {Readonly<Record<string, UserEntry>>} users
 * @property {readonly string[]} [anonymousGroups] Set: clients without credentials are let in as `anonymous` with these groups.
 */
/** @typedef {{ salt: Buffer, key: Buffer, groups: readonly string[] }} Parsed */

const scryptAsync = /** @type {(password: string, salt: Buffer, keylen: number) => Promise<Buffer>} */ (promisify(scrypt));
const KEY_LENGTH = 32;

/**
 * Makes a `passwordHash` for the options.
 * @param {string} password @returns {Promise<string>}
 */
export async function hashPassword(password) {
  const salt = randomBytes(16);
  return `scrypt:${salt.toString('base64')}:${(await scryptAsync(password, salt, KEY_LENGTH)).toString('base64')}`;
}

/** @implements {Authenticator} */
export class OptionsAuthenticator {
  /** @type {Map<string, Parsed>} */
  #users = new Map();
  /** Checked for unknown names, so they cost what a known one does. @type {Parsed} */
  #decoy = { salt: randomBytes(16), key: randomBytes(KEY_LENGTH), groups: [] };

  /** @param {string} name @param {AuthenticatorOptions} options */
  constructor(name, options) {
    this.name = name;
    this.options = options;
    for (const [user, entry] of Object.entries(options.users)) this.#users.set(user, parse(user, entry));
  }

  /** Adds or replaces a user while running. @param {string} user @param {string} password @param {readonly string[]} groups */
  async addUser(user, password, groups) {
    this.#users.set(user, parse(user, { passwordHash: await hashPassword(password), groups }));
  }

  /** @param {Credentials} credentials @returns {Promise<AuthDecision>} */
  async authenticate(credentials) {
    const { login, passcode } = credentials;
    if (login === undefined && passcode === undefined && this.options.anonymousGroups) {
      return { principal: { name: 'anonymous', groups: [...this.options.anonymousGroups], anonymous: true } };
    }
    if (!login) return { rejected: true };
    const known = this.#users.get(login);
    const user = known ?? this.#decoy;
    const key = await scryptAsync(passcode ?? '', user.salt, KEY_LENGTH);
    const match = timingSafeEqual(key, user.key);
    if (!known || !match || !passcode) return { rejected: true };
    return { principal: { name: login, groups: [...known.groups], anonymous: false } };
  }
}

/** @param {string} user @param {UserEntry} entry @returns {Parsed} */
function parse(user, entry) {
  const [scheme, salt, key] = entry.passwordHash.split(':');
  if (scheme !== 'scrypt' || !salt || !key) {
    throw new Error(`user ${user}: passwordHash must be "scrypt:<salt>:<key>" as hashPassword() makes it`);
  }
  return { salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64'), groups: entry.groups ?? [] };
}
