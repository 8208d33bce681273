/**
 * The users and rules the security end-to-end tests run against, written to a temp folder: each
 * user is named after what it may do, so a test reads as the rule it checks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PluginEntry } from '@wharf/core';
import { hashPassword, readTextOrEmpty, setUserInText, writeFileAtomically } from '@wharf/security-users';

export const PASSWORD = (user: string): string => `pw-of-${user}`;

/** name → groups. alice is also the CN of the test client certificate. */
export const USERS: Readonly<Record<string, readonly string[]>> = {
  alice: ['admins'],
  reader: ['readers'],
  writer: ['writers'],
  maker: ['makers'],
  intern: ['staff', 'interns'],
  carol: ['staff'],
};

export const RULES = [
  { match: '^/', groups: ['admins'], allow: ['create', 'read', 'write', 'admin'] },
  // Existing shared queues: readers only read, writers only write; neither may create.
  { match: '^/queue/shared\\.', groups: ['readers'], allow: ['read'] },
  { match: '^/queue/shared\\.', groups: ['writers'], allow: ['write'] },
  { match: '^/queue/made\\.', groups: ['makers'], allow: ['create', 'write', 'read'] },
  // Everyone who logged in has a private area.
  { match: '^/queue/home\\.${user}\\.', users: ['*'], allow: ['create', 'read', 'write'] },
  // Staff use payroll; interns may look but never write, whatever staff may.
  { match: '^/queue/payroll$', groups: ['staff'], allow: ['read', 'write'] },
  { match: '^/queue/payroll$', groups: ['interns'], deny: ['write'] },
] as const;

export interface SecurityFixture {
  readonly dir: string;
  readonly usersFile: string;
  addUser(name: string, password: string, groups: readonly string[]): Promise<void>;
  remove(): Promise<void>;
}

export async function writeSecurityFixture(): Promise<SecurityFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-e2e-security-'));
  const usersFile = join(dir, 'users.yaml');
  const addUser = async (name: string, password: string, groups: readonly string[]): Promise<void> => {
    const text = await readTextOrEmpty(usersFile);
    await writeFileAtomically(usersFile, setUserInText(text, name, await hashPassword(password), groups));
  };
  for (const [name, groups] of Object.entries(USERS)) await addUser(name, PASSWORD(name), groups);
  return { dir, usersFile, addUser, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** The two security plugins over the fixture, as a config lists them. */
export function securityPlugins(fixture: SecurityFixture, users: Record<string, unknown> = {}): PluginEntry[] {
  return [
    { use: '@wharf/security-users', options: { file: fixture.usersFile, certificates: true, watchDebounceMs: 20, ...users } },
    { use: '@wharf/security-acl', options: { rules: RULES.map((r) => ({ ...r })) } },
  ];
}
