/**
 * Changing a users file the way `wharf users add/remove` does: through yaml's Document API, so the
 * comments and layout people wrote stay; then an atomic replace (write a sibling, rename over), so
 * the watching broker never reads half a file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { checkGroupName, checkUserName, parseUsersFile } from './users-file.js';

/** @throws Error when `name` or a group is not acceptable (before anyone types a password). */
export function checkNewUser(name: string, groups: readonly string[]): void {
  const problem = checkUserName(name) ?? groups.map(checkGroupName).find((p) => p !== undefined);
  if (problem) throw new Error(problem);
}

/** Returns the text with `name` set to `hash` and `groups` (added, or replaced when present). */
export function setUserInText(text: string, name: string, hash: string, groups: readonly string[]): string {
  checkNewUser(name, groups);
  const doc = parseDocument(text.trim() === '' ? 'users:\n' : text);
  if (doc.errors.length > 0) throw new Error(`the users file is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!isMap(doc.get('users', true))) doc.set('users', doc.createNode({}));
  // One user per line under `users:`, even when the file said `users: {}`.
  (doc.get('users', true) as { flow?: boolean }).flow = false;
  const entry = doc.createNode({ password: hash, groups: [...groups] });
  // Flow style keeps one user per line, as the README shows.
  (entry as { flow?: boolean }).flow = true;
  doc.setIn(['users', name], entry);
  const out = doc.toString({ lineWidth: 0 });
  parseUsersFile(out, '(new contents)'); // never write a file the broker would refuse
  return out;
}

/** Returns the text without `name`, and whether it was there. */
export function removeUserFromText(text: string, name: string): { text: string; removed: boolean } {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) throw new Error(`the users file is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (!doc.hasIn(['users', name])) return { text, removed: false };
  doc.deleteIn(['users', name]);
  return { text: doc.toString({ lineWidth: 0 }), removed: true };
}

export async function readTextOrEmpty(filepath: string): Promise<string> {
  try {
    return await readFile(filepath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** Replaces the file atomically; a new file is readable by its owner only (it holds hashes). */
export async function writeFileAtomically(filepath: string, text: string): Promise<void> {
  let mode = 0o600;
  try {
    mode = (await stat(filepath)).mode & 0o777;
  } catch {
    // a new file
  }
  const temp = join(dirname(filepath), `.${basename(filepath)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(temp, text, { mode });
    await chmod(temp, mode);
    await rename(temp, filepath);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
