/**
 * Password hashes: `scrypt$N$r$p$salt$hash` (salt and hash in base64), made with node's
 * crypto.scrypt and a fresh random salt, compared in constant time (crypto.timingSafeEqual).
 * scrypt runs on libuv's thread pool, so verifying never blocks the event loop.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/**
 * N=2^14, r=8, p=1: the scrypt paper's parameters for interactive logins and node's own default —
 * about 16 MiB and tens of milliseconds per check. (OWASP suggests N=2^17 for stored web passwords;
 * the hash records its parameters, so stronger entries can be written and are read as they are.)
 */
export const DEFAULT_PARAMS: ScryptParams = Object.freeze({ N: 16384, r: 8, p: 1 });
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on parameters read from a file, so a hand-edited hash cannot make one login cost gigabytes. */
const MAX_N = 1 << 20;
const MAX_R = 32;
const MAX_P = 16;

export interface ParsedHash extends ScryptParams {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

function derive(password: string, salt: Buffer, params: ScryptParams, keylen: number): Promise<Buffer> {
  // scrypt needs 128·N·r bytes; node's default maxmem (32 MiB) would refuse larger parameters.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + (1 << 20) };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, params: ScryptParams = DEFAULT_PARAMS): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params, KEY_BYTES);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Reads a stored hash; returns a reason instead when it is not one we can check. */
export function parseHash(text: string): ParsedHash | string {
  const parts = text.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return 'expected scrypt$N$r$p$salt$hash (made by `wharf users add`)';
  const [N, r, p] = parts.slice(1, 4).map((x) => (/^\d+$/.test(x!) ? Number(x) : NaN)) as [number, number, number];
  if (!(N >= 2 && N <= MAX_N && (N & (N - 1)) === 0)) return `N must be a power of two up to ${MAX_N}`;
  if (!(r >= 1 && r <= MAX_R)) return `r must be 1 to ${MAX_R}`;
  if (!(p >= 1 && p <= MAX_P)) return `p must be 1 to ${MAX_P}`;
  const salt = Buffer.from(parts[4]!, 'base64');
  const hash = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || hash.length < 16) return 'the salt or hash is too short';
  return { N, r, p, salt, hash };
}

/** True when `password` matches `stored`. Takes scrypt's time whatever the outcome. */
export async function verifyPassword(password: string, stored: ParsedHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt, stored, stored.hash.length);
  return timingSafeEqual(candidate, stored.hash);
}

/**
 * A hash no password matches, with the given parameters: checking against it spends the same
 * time as checking a real user's password, so an unknown name cannot be told apart by timing.
 */
export function decoyHash(params: ScryptParams = DEFAULT_PARAMS): ParsedHash {
  return { ...params, salt: randomBytes(SALT_BYTES), hash: randomBytes(KEY_BYTES) };
}
