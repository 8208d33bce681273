/** The ACL authorizer passes the authorizer conformance suite; grants are written into a watched rules file. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createLogger } from '@wharf/core';
import { describeAuthorizer, type Grant } from '@wharf/testkit';
import { AclRules } from '../src/acl-rules.js';
import { escapeRegex } from '../src/rule.js';
import { removeTempDirs, tempDir } from './helpers.js';

const asRules = (grants: readonly Grant[]) => ({
  rules: grants.map((g) => ({
    match: `^${escapeRegex(g.destination)}$`,
    ...(g.users ? { users: [...g.users] } : {}),
    ...(g.groups ? { groups: [...g.groups] } : {}),
    ...(g.allow ? { allow: [...g.allow] } : {}),
    ...(g.deny ? { deny: [...g.deny] } : {}),
  })),
});

describeAuthorizer('@wharf/security-acl', {
  create: async (grants) => {
    const dir = await tempDir();
    const file = join(dir, 'acl.yaml');
    await writeFile(file, stringify(asRules(grants)));
    const rules = new AclRules({ rules: [], file: 'acl.yaml' }, dir, createLogger('silent'));
    await rules.load();
    rules.watch(10);
    let changed: () => void = () => undefined;
    rules.authorizer.onChange(() => changed());
    return {
      authorizer: rules.authorizer,
      update: async (next) => {
        const done = new Promise<void>((resolve) => { changed = resolve; });
        await writeFile(file, stringify(asRules(next)));
        await done;
      },
      close: () => rules.close(),
    };
  },
});

after(removeTempDirs);
