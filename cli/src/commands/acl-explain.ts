/**
 * `wharf acl explain --user U [--group G…] DESTINATION`: the rights U (with groups G) has on
 * DESTINATION under the config's @wharf/security-acl rules (or a rules file given with --file), and
 * every rule that names U with whether it matched. Exit code 1 when U has no right there.
 */
import { relative, resolve } from 'node:path';
import { ALL_RIGHTS, createLogger, type Principal } from '@wharf/core';
import { AclRules, PLUGIN_NAME, type AclOptions } from '@wharf/security-acl';
import type { ConfigOption } from '../load.js';
import { findSecurityPlugin } from '../security-plugins.js';

export interface AclExplainOptions extends ConfigOption {
  readonly user: string;
  readonly group?: readonly string[];
  readonly file?: string;
}

export async function aclExplain(destination: string, options: AclExplainOptions, out: (line: string) => void): Promise<number> {
  const principal: Principal = { name: options.user, groups: [...new Set(options.group ?? [])], anonymous: options.user === 'anonymous' };
  let rules: AclRules;
  if (options.file) {
    rules = new AclRules({ rules: [], file: resolve(options.file) }, process.cwd(), createLogger('silent'));
  } else {
    const { found, configFile } = await findSecurityPlugin(PLUGIN_NAME, options);
    if (!found) {
      out(`${describe(principal)} on ${destination}: ${ALL_RIGHTS.join(', ')}`);
      out(`  no ACL plugin in ${configFile}: without an authorizer every client has every right`);
      return 0;
    }
    const aclOptions = found.options as Partial<AclOptions>;
    rules = new AclRules({ rules: aclOptions.rules ?? [], ...(aclOptions.file ? { file: aclOptions.file } : {}) }, found.configDir, createLogger('silent'));
  }
  await rules.load();
  const explanation = rules.authorizer.explain(principal, destination);
  const rights = ALL_RIGHTS.filter((r) => explanation.rights.has(r));
  out(`${describe(principal)} on ${destination}: ${rights.length ? rights.join(', ') : 'no rights'}`);
  if (explanation.rules.length === 0) out('  no rule names this user or its groups');
  for (const rule of explanation.rules) {
    const effect = [rule.allow.length ? `allow ${rule.allow.join(', ')}` : '', rule.deny.length ? `deny ${rule.deny.join(', ')}` : '']
      .filter(Boolean).join('; ') || 'no rights';
    out(`  ${rule.matches ? 'matches ' : 'no match'}  ${shortWhere(rule.where)}  '${rule.match}'  ${effect}`);
  }
  return rights.length ? 0 : 1;
}

function describe(p: Principal): string {
  return `${p.name}${p.groups.length ? ` (groups: ${p.groups.join(', ')})` : ''}`;
}

/** Rule locations in files are shown relative to the current folder, like the CLI's other paths. */
function shortWhere(where: string): string {
  return where.startsWith('/') ? relative(process.cwd(), where) || where : where;
}
