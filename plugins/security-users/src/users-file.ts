/**
 * The users file (YAML):
 *
 *   users:
 *     alice: { password: 'scrypt$16384$8$1$…$…', groups: [admins, staff] }
 *     device-7: { groups: [devices] }          # no password: TLS client certificate only
 *
 * Parsing checks everything at once and reports every problem with its line, so a bad edit is
 * refused whole (the broker keeps the users it had) rather than half applied.
 */
import { readFile } from 'node:fs/promises';
import { distance } from 'fastest-levenshtein';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from '@wharf/core';
import { ANONYMOUS_NAME, checkGroupName, checkUserName } from './names.js';
import { parseHash, type ParsedHash } from './password-hash.js';

// Kept importable from here: the name rule moved to names.ts.
export { ANONYMOUS_NAME, checkGroupName, checkUserName };

export interface UserEntry {
  readonly name: string;
  /** Absent for users who may only log in with a client certificate. */
  readonly password: ParsedHash | undefined;
  readonly groups: readonly string[];
}

/** Parses the text of a users file. @throws ConfigError listing every problem with its line. */
export function parseUsersFile(text: string, filepath: string): ReadonlyMap<string, UserEntry> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const issues: ConfigIssue[] = [];
  const at = (path: Array<string | number>): { line?: number; column?: number } => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    const pos = node?.range ? lineCounter.linePos(node.range[0]) : undefined;
    return pos ? { line: pos.line, column: pos.col } : {};
  };
  for (const error of doc.errors) {
    const pos = error.linePos?.[0];
    // Only the first line of yaml's message: the rest quotes the file, and the file holds hashes.
    issues.push({ path: [], message: error.message.split('\n')[0]!, ...(pos ? { line: pos.line, column: pos.col } : {}) });
  }
  const users = new Map<string, UserEntry>();
  if (issues.length === 0) {
    const data: unknown = doc.toJS() ?? {};
    const list = isObject(data) ? (data.users ?? {}) : undefined;
    if (!isObject(list)) {
      issues.push({ path: ['users'], message: 'expected a mapping', hint: 'write users: { alice: { password: ..., groups: [...] } }', ...at(['users']) });
    } else {
      for (const [name, raw] of Object.entries(list)) {
        const entry = readEntry(name, raw, (issue) => issues.push({ ...issue, ...at(issue.path as string[]) }));
        if (entry) users.set(name, entry);
      }
    }
    if (isObject(data)) {
      for (const key of Object.keys(data)) {
        if (key !== 'users') issues.push({ path: [key], message: `unknown key "${key}"`, hint: 'a users file has one key, users', ...at([key]) });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(issues, { filepath }, `the users file ${filepath} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`);
  return users;
}

const NAME_HINT = 'rename it within the safe set, e.g. "bob_x" for "bob.x" (docs/security.md#user-names-and-home-destinations)';

function readEntry(name: string, raw: unknown, report: (issue: ConfigIssue) => void): UserEntry | undefined {
  const problem = checkUserName(name);
  // The whole file is refused, not just this entry (docs/security.md, "User names and home
  // destinations"): a user silently missing would be harder to notice than an error with its line.
  if (problem) report({ path: ['users', name], message: problem, hint: NAME_HINT });
  const entry = raw ?? {};
  if (!isObject(entry)) {
    report({ path: ['users', name], message: 'expected { password?, groups? }' });
    return undefined;
  }
  let password: ParsedHash | undefined;
  if (entry.password !== undefined) {
    const parsed = typeof entry.password === 'string' ? parseHash(entry.password) : 'expected a string';
    // Never echo the value: even a malformed hash is nobody's business in a log.
    if (typeof parsed === 'string') report({ path: ['users', name, 'password'], message: `not a password hash: ${parsed}` });
    else password = parsed;
  }
  const groups = entry.groups ?? [];
  if (!Array.isArray(groups) || groups.some((g) => typeof g !== 'string')) {
    report({ path: ['users', name, 'groups'], message: 'expected a list of group names', hint: 'write groups: [staff, admins]' });
    return undefined;
  }
  const badGroup = (groups as string[]).map(checkGroupName).find((p) => p !== undefined);
  if (badGroup) {
    report({ path: ['users', name, 'groups'], message: badGroup, hint: NAME_HINT });
    return undefined;
  }
  for (const key of Object.keys(entry)) {
    if (key !== 'password' && key !== 'groups') report({ path: ['users', name, key], message: `unknown key "${key}"`, hint: nearestKey(key) });
  }
  return problem ? undefined : { name, password, groups: [...new Set(groups as string[])] };
}

/** "did you mean groups?" for a near miss (one or two letters off), else the two keys a user has. */
function nearestKey(key: string): string {
  const near = ['password', 'groups'].find((k) => distance(key.toLowerCase(), k) <= 2);
  return near ? `did you mean "${near}"?` : 'a user has password and groups';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export async function readUsersFile(filepath: string): Promise<ReadonlyMap<string, UserEntry>> {
  return parseUsersFile(await readFile(filepath, 'utf8'), filepath);
}
