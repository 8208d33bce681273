/** Temp users files and a UsersAuthenticator over them, for this plugin's tests. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@wharf/core';
import { hashPassword } from '../src/password-hash.js';
import { readTextOrEmpty, setUserInText, writeFileAtomically } from '../src/users-file-edit.js';
import { UserStore } from '../src/user-store.js';
import { UsersAuthenticator } from '../src/users-authenticator.js';
import type { UsersOptions } from '../src/options.js';

const dirs: string[] = [];

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-users-'));
  dirs.push(dir);
  return dir;
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
}

/** A logger whose lines are kept, to check what is (not) logged. */
export function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(chunk.toString()); done(); } });
  return { logger: createLogger('trace', sink), lines };
}

export async function addUser(file: string, name: string, password: string, groups: readonly string[]): Promise<void> {
  await writeFileAtomically(file, setUserInText(await readTextOrEmpty(file), name, await hashPassword(password), groups));
}

export async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export type Setup = Partial<Pick<UsersOptions, 'anonymous' | 'certificates' | 'unknownUsers' | 'throttle'>>;

/** A users file in a temp folder, a store watching it, and an authenticator over it. */
export async function authenticatorWith(setup: Setup = {}, logger: Logger = createLogger('silent')) {
  const file = join(await tempDir(), 'users.yaml');
  await writeFileAtomically(file, 'users: {}\n');
  const store = new UserStore(file, logger);
  await store.load();
  store.watch(10);
  const authenticator = new UsersAuthenticator(store, {
    certificates: false, unknownUsers: 'reject',
    throttle: { baseDelayMs: 1, maxDelayMs: 4, forgetAfterMs: 60_000 },
    ...setup,
  }, logger);
  return {
    file, store, authenticator,
    addUser: async (name: string, password: string, groups: readonly string[]) => {
      await addUser(file, name, password, groups);
      await until(() => store.get(name) !== undefined, `${name} to be loaded`);
    },
    close: () => store.close(),
  };
}
