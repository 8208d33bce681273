/**
 * `wharf acl explain --user U [--group G…] DESTINATION`: the rights a client logged in as U has on
 * DESTINATION, exactly as the running broker decides them: U's groups come from the users file of
 * @wharf/security-users, `anonymous` stands for clients without credentials (the `anonymous`
 * option's groups, or refused), a user the broker would not let in gets nothing, and the rights are
 * those of the @wharf/security-acl rules (every right without an ACL plugin). The rules that name
 * the user are listed with whether they matched. `--group` asks "what if U had these groups"
 * (answered after the broker's own answer); with `--file` only a rules file is read, and the
 * groups are the ones given. Exit code 1 when the broker's answer is no right.
 */
import { relative, resolve } from 'node:path';
import { ALL_RIGHTS, ANONYMOUS, createLogger, type Principal, type Right } from '@wharf/core';
import { AclRules, PLUGIN_NAME as ACL_PLUGIN, type AclOptions } from '@wharf/security-acl';
import { ANONYMOUS_NAME, PLUGIN_NAME as USERS_PLUGIN, readUsersFile, type UsersOptions } from '@wharf/security-users';
import type { ConfigOption } from '../load.js';
import { findSecurityPlugins, type FoundPlugin } from '../security-plugins.js';

export interface AclExplainOptions extends ConfigOption {
  readonly user: string;
  readonly group?: readonly string[];
  readonly file?: string;
}

/** Who the broker takes the user for: a principal, or the reason it refuses the client. */
type Identity = { readonly principal: Principal; readonly from: string } | { readonly user: string; readonly refused: string };

export interface AccessAnswer {
  /** The principal the broker would give the client, undefined when it would refuse the client. */
  readonly principal: Principal | undefined;
  /** The rights the broker would give it on the destination (none for a refused client). */
  readonly rights: ReadonlySet<Right>;
  /** The explanation, as printed. */
  readonly lines: readonly string[];
}

export async function aclExplain(destination: string, options: AclExplainOptions, out: (line: string) => void): Promise<number> {
  const answer = await explainAccess(destination, options);
  for (const line of answer.lines) out(line);
  return answer.rights.size > 0 ? 0 : 1;
}

export async function explainAccess(destination: string, options: AclExplainOptions): Promise<AccessAnswer> {
  const given = [...new Set(options.group ?? [])];
  if (options.file) {
    const rules = new AclRules({ rules: [], file: resolve(options.file) }, process.cwd(), createLogger('silent'));
    await rules.load();
    return answerFor({ principal: supposed(options.user, given), from: 'groups given with --group' }, destination, rules, []);
  }
  const security = await findSecurityPlugins([USERS_PLUGIN, ACL_PLUGIN], options);
  const acl = security.byName.get(ACL_PLUGIN);
  const rules = acl ? await aclRulesOf(acl) : undefined;
  const notes = security.others.length > 0
    ? [`  note: the config also loads the security plugins ${security.others.join(', ')}, whose decisions this answer does not include`]
    : [];
  if (!acl) notes.push(`  no ACL plugin in ${security.configFile}: without an authorizer every client has every right`);
  const users = security.byName.get(USERS_PLUGIN);
  const identity: Identity = users === undefined && security.others.length > 0
    ? { principal: supposed(options.user, given), from: 'groups given with --group: another plugin knows the users' }
    : await identify(options.user, users);
  const answer = answerFor(identity, destination, rules, notes);
  if (given.length === 0 || ('from' in identity && identity.from.startsWith('groups given'))) return answer;
  // "What if": the same user with the groups given, after the broker's own answer.
  const whatIf = answerFor({ principal: supposed(options.user, given), from: 'given with --group' }, destination, rules, []);
  return { ...answer, lines: [...answer.lines, `  as if ${options.user} had the groups ${given.join(', ')}: ${rightsText(whatIf.rights)}`, ...whatIf.lines.slice(1)] };
}

/** A principal as the command line describes it (no users file asked). */
function supposed(user: string, groups: readonly string[]): Principal {
  return { name: user, groups, anonymous: user === ANONYMOUS_NAME };
}

/** The principal security-users would give a client logging in as `user`, or why it refuses it. */
async function identify(user: string, users: FoundPlugin | undefined): Promise<Identity> {
  if (users === undefined) return { principal: ANONYMOUS, from: 'no users plugin: every client is let in as anonymous, whatever login it sends' };
  const options = users.options as Partial<UsersOptions>;
  if (user === ANONYMOUS_NAME) {
    if (!options.anonymous) return { user, refused: `${USERS_PLUGIN} has no anonymous option: clients without credentials are refused` };
    return { principal: { name: ANONYMOUS_NAME, groups: [...options.anonymous.groups], anonymous: true }, from: `the anonymous option of ${USERS_PLUGIN}` };
  }
  const file = resolve(users.configDir, String(options.file));
  const entry = (await readUsersFile(file)).get(user);
  const shown = relative(process.cwd(), file) || file;
  if (entry === undefined) {
    const later = options.unknownUsers === 'abstain' ? ' (unknownUsers: abstain leaves it to a later authenticator, and none here knows it)' : '';
    return { user, refused: `${user} is not in ${shown}, so no client can log in as ${user}${later}` };
  }
  if (entry.password === undefined && !options.certificates) {
    return { user, refused: `${user} has no password in ${shown} and certificates are off, so no client can log in as ${user}` };
  }
  return { principal: { name: user, groups: entry.groups, anonymous: false }, from: shown };
}

async function aclRulesOf(acl: FoundPlugin): Promise<AclRules> {
  const options = acl.options as Partial<AclOptions>;
  const rules = new AclRules({ rules: options.rules ?? [], ...(options.file ? { file: options.file } : {}) }, acl.configDir, createLogger('silent'));
  await rules.load();
  return rules;
}

function answerFor(identity: Identity, destination: string, rules: AclRules | undefined, notes: readonly string[]): AccessAnswer {
  if ('refused' in identity) {
    return { principal: undefined, rights: new Set(), lines: [`${identity.user} on ${destination}: nothing`, `  ${identity.refused}`, ...notes] };
  }
  const { principal } = identity;
  const groups = principal.groups.length > 0 ? `groups: ${principal.groups.join(', ')}` : 'no groups';
  const head = `${principal.name} (${groups}; ${identity.from}) on ${destination}`;
  if (rules === undefined) return { principal, rights: new Set(ALL_RIGHTS), lines: [`${head}: ${ALL_RIGHTS.join(', ')}`, ...notes] };
  const explanation = rules.authorizer.explain(principal, destination);
  const lines = [`${head}: ${rightsText(explanation.rights)}`, ...notes];
  if (explanation.rules.length === 0) lines.push('  no rule names this user or its groups');
  for (const rule of explanation.rules) {
    const effect = [rule.allow.length ? `allow ${rule.allow.join(', ')}` : '', rule.deny.length ? `deny ${rule.deny.join(', ')}` : '']
      .filter(Boolean).join('; ') || 'no rights';
    lines.push(`  ${rule.matches ? 'matches ' : 'no match'}  ${shortWhere(rule.where)}  '${rule.match}'  ${effect}`);
  }
  return { principal, rights: explanation.rights, lines };
}

function rightsText(rights: ReadonlySet<Right>): string {
  const list = ALL_RIGHTS.filter((r) => rights.has(r));
  return list.length > 0 ? list.join(', ') : 'no rights';
}

/** Rule locations in files are shown relative to the current folder, like the CLI's other paths. */
function shortWhere(where: string): string {
  return where.startsWith('/') ? relative(process.cwd(), where) || where : where;
}
