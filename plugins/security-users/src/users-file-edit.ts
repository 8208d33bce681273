/**
 * Changing a users file the way `wharf users add/remove` does: through yaml's Document API, so the
 * comments and layout people wrote stay; then an atomic replace (write a sibling, rename over), so
 * the watching broker never reads half a file, and the result is always mode 0600.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
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

/**
 * Replaces the file atomically and leaves it mode 0600 (it holds hashes), whatever mode the old
 * file had: the new contents go to a sibling temp file created 0600, are fsynced, then renamed over
 * the old name, and the folder is fsynced so the rename survives a crash. A crash at any point leaves
 * either the old file or the new one (plus perhaps a stray `.NAME.*.tmp`), never half of one.
 */
export async function writeFileAtomically(filepath: string, text: string): Promise<void> {
  const dir = dirname(filepath);
  const temp = join(dir, `.${basename(filepath)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.chmod(0o600); // the umask may have taken bits away; the mode is exactly 0600
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, filepath);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
  await syncFolder(dir);
}

/** Makes a rename in `dir` durable. Windows cannot open a folder; there the rename is as durable as it gets. */
async function syncFolder(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const folder = await open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
