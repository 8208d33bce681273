/**
 * This package's conformance profile (package.json `wharf.conformance`), read by `wharf plugin
 * check` and @wharf/testkit's runConformance(): how the authorizer conformance suite turns its
 * grants into ACL rules. The plugin is loaded as the broker loads it (`load`, given by the runner)
 * over a watched rules file in a fresh folder; each grant is a rule on its exact, escaped name.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Authorizer, Right } from '@wharf/core';
import { escapeRegex } from './rule.js';

interface Grant {
  readonly destination: string;
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
  readonly allow?: readonly Right[];
  readonly deny?: readonly Right[];
}

interface Setup {
  readonly load?: (options?: Record<string, unknown>, configDir?: string) => Promise<Authorizer>;
}

const rulesFile = (grants: readonly Grant[]): string => stringify({
  rules: grants.map((g) => ({
    match: `^${escapeRegex(g.destination)}$`,
    ...(g.users ? { users: [...g.users] } : {}),
    ...(g.groups ? { groups: [...g.groups] } : {}),
    ...(g.allow ? { allow: [...g.allow] } : {}),
    ...(g.deny ? { deny: [...g.deny] } : {}),
  })),
});

async function createUnderTest(grants: readonly Grant[], { load }: Setup) {
  if (load === undefined) throw new Error('this profile is run by @wharf/testkit runConformance(), which gives load()');
  const dir = await mkdtemp(join(tmpdir(), 'wharf-acl-conformance-'));
  await writeFile(join(dir, 'acl.yaml'), rulesFile(grants));
  const authorizer = await load({ file: 'acl.yaml', watch: true, watchDebounceMs: 10 }, dir);
  let changed: () => void = () => undefined;
  authorizer.onChange?.(() => changed());
  return {
    authorizer,
    async update(next: readonly Grant[]): Promise<void> {
      // An authorizer without onChange is reported by the suite; the wait must not hang for it.
      const done = new Promise<void>((resolve) => {
        changed = resolve;
        setTimeout(resolve, 3000).unref();
      });
      await writeFile(join(dir, 'acl.yaml'), rulesFile(next));
      await done;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

export default {
  authorizers: {
    acl: { create: createUnderTest },
  },
};
