/**
 * This package's conformance profile (package.json `wharf.conformance`), read by `wharf plugin
 * check` and @wharf/testkit's runConformance(): how the authenticator conformance suite makes a
 * `users-file` authenticator and adds users to it. The plugin is loaded as the broker loads it
 * (`load`, given by the runner) over a users file in a fresh folder; users are added to the file,
 * as `wharf users add` does, and each addition is awaited until the watched file was re-read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Authenticator, ConnectionInfo } from '@wharf/core';
import { hashPassword } from './password-hash.js';
import { readTextOrEmpty, setUserInText, writeFileAtomically } from './users-file-edit.js';

interface Setup {
  readonly anonymousGroups?: readonly string[];
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Authenticator>;
}

let probes = 0;
/** A connection from its own address, so the failure throttle does not slow the waiting down. */
const probeConnection = (): ConnectionInfo => ({
  id: `users-conformance-probe-${++probes}`, protocol: 'test', transport: 'memory',
  remoteAddress: `2001:db8:ffff::${probes.toString(16)}`, remotePort: 40000, secure: false,
});

async function createUnderTest({ anonymousGroups, load }: Setup) {
  if (load === undefined) throw new Error('this profile is run by @wharf/testkit runConformance(), which gives load()');
  const dir = await mkdtemp(join(tmpdir(), 'wharf-users-conformance-'));
  const file = join(dir, 'users.yaml');
  await writeFileAtomically(file, 'users: {}\n');
  const authenticator = await load({
    file: 'users.yaml', watch: true, watchDebounceMs: 10, throttle: { baseDelayMs: 1, maxDelayMs: 4 },
    ...(anonymousGroups ? { anonymous: { groups: [...anonymousGroups] } } : {}),
  }, dir);
  return {
    authenticator,
    async addUser(name: string, password: string, groups: readonly string[]): Promise<void> {
      await writeFileAtomically(file, setUserInText(await readTextOrEmpty(file), name, await hashPassword(password), groups));
      const end = Date.now() + 5000;
      for (;;) {
        const decision = await authenticator.authenticate({ login: name, passcode: password }, probeConnection());
        if (decision !== undefined && 'principal' in decision) return;
        if (Date.now() > end) throw new Error(`the users file was not re-read within 5 s after adding ${name}`);
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

export default {
  authenticators: {
    'users-file': { supportsAnonymous: true, create: createUnderTest },
  },
};
