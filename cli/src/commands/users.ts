/**
 * `wharf users add NAME --group G…` and `wharf users remove NAME`: edit the users file of
 * @wharf/security-users (found in the config, or --file). A running broker re-reads the file, so
 * the change takes effect without a restart. Passwords are stored only as scrypt hashes.
 */
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { ErrorCodes, WharfError } from '@wharf/core';
import {
  PLUGIN_NAME, checkNewUser, hashPassword, readTextOrEmpty, removeUserFromText, setUserInText, writeFileAtomically,
} from '@wharf/security-users';
import type { ConfigOption } from '../load.js';
import { readNewPassword, type PasswordInput } from '../password-prompt.js';
import { findSecurityPlugin } from '../security-plugins.js';

export interface UsersOptions extends ConfigOption {
  readonly file?: string;
  readonly group?: readonly string[];
}

/** The users file: --file (relative to the current folder), else the plugin's option (relative to the config). */
export async function usersFile(options: UsersOptions): Promise<string> {
  if (options.file) return resolve(options.file);
  const { found, configFile } = await findSecurityPlugin(PLUGIN_NAME, options);
  const file = found?.options.file;
  if (!found || typeof file !== 'string') {
    throw new WharfError(ErrorCodes.CONFIG, `${configFile} does not load @wharf/security-users with a users file`, {
      hint: 'add { use: "@wharf/security-users", options: { file: users.yaml } } to plugins (docs/security.md), or pass --file',
    });
  }
  return resolve(found.configDir, file);
}

/** Mistakes of the person typing (a bad name, passwords that differ) end with one line, not a stack. */
async function plainly(err: (line: string) => void, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof WharfError || !(e instanceof Error)) throw e;
    err(`error: ${e.message}`);
    return 1;
  }
}

export function usersAdd(name: string, options: UsersOptions, input: PasswordInput, prompts: Writable,
  out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return plainly(err, () => addUser(name, options, input, prompts, out));
}

async function addUser(name: string, options: UsersOptions, input: PasswordInput, prompts: Writable, out: (line: string) => void): Promise<number> {
  const file = await usersFile(options);
  const groups = [...new Set(options.group ?? [])];
  const before = await readTextOrEmpty(file);
  // Everything that can be wrong is checked before anyone types a password.
  checkNewUser(name, groups);
  const existed = /\S/.test(before) && removeUserFromText(before, name).removed; // throws on a file that is not YAML
  const password = await readNewPassword(name, input, prompts);
  await writeFileAtomically(file, setUserInText(before, name, await hashPassword(password), groups));
  out(`${existed ? 'updated' : 'added'} user ${name}${groups.length ? ` (groups: ${groups.join(', ')})` : ''} in ${file}`);
  return 0;
}

export function usersRemove(name: string, options: UsersOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  return plainly(err, () => removeUser(name, options, out, err));
}

async function removeUser(name: string, options: UsersOptions, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const file = await usersFile(options);
  const { text, removed } = removeUserFromText(await readTextOrEmpty(file), name);
  if (!removed) {
    err(`no user ${name} in ${file}`);
    return 1;
  }
  await writeFileAtomically(file, text);
  out(`removed user ${name} from ${file}`);
  return 0;
}
