/**
 * One compiled ACL rule. `match` is a regular expression searched for in the destination name (as
 * routing rules are); `${user}` and `${group}` in it stand for the caller's name and each of its
 * groups, regex-escaped. Only names in the safe set (names.ts) are substituted: for any other
 * name a placeholder rule does not apply, so `home.${user}.` areas of two users never overlap.
 *
 * A rule without placeholders compiles once, at load. A rule with placeholders compiles per
 * principal (the authorizer caches that per principal); core caches the answers per session and
 * destination, so no regex is compiled on the message path.
 *
 * `${user}` rules never apply to anonymous clients: they have no name of their own, and a home
 * area shared by every anonymous client would be nobody's. `${group}` rules apply once per group
 * of the principal (none when it has none).
 */
import type { ConfigIssue, Principal, Right } from '@wharf/core';
import { isPlaceholderName } from './names.js';
import type { RuleSpec } from './options.js';

const USER = '${user}';
const GROUP = '${group}';
const EVERYONE = '*';

/** Escapes every character that means something in a regular expression. */
export function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export class CompiledRule {
  readonly allow: readonly Right[];
  readonly deny: readonly Right[];
  private readonly fixed: RegExp | undefined;
  private readonly users: ReadonlySet<string>;
  private readonly groups: ReadonlySet<string>;
  readonly usesUser: boolean;
  readonly usesGroup: boolean;

  /**
   * @param where e.g. `options.rules[2]` or `acl.yaml:3 rules[0]`, for explanations.
   * @param optionPath for a rule written in the plugin options, its path in the plugin's entry
   *   (['options', 'rules', 2]), so core can give the config file's line.
   */
  constructor(readonly spec: RuleSpec, readonly where: string, readonly optionPath?: ReadonlyArray<string | number>) {
    this.allow = spec.allow ?? [];
    this.deny = spec.deny ?? [];
    this.users = new Set(spec.users ?? []);
    this.groups = new Set(spec.groups ?? []);
    this.usesUser = spec.match.includes(USER);
    this.usesGroup = spec.match.includes(GROUP);
    this.fixed = this.usesUser || this.usesGroup ? undefined : new RegExp(spec.match);
  }

  /** True when the rule names the principal: its user name, one of its groups, or `*`. */
  names(principal: Principal): boolean {
    if (this.users.has(EVERYONE) || this.groups.has(EVERYONE) || this.users.has(principal.name)) return true;
    return principal.groups.some((g) => this.groups.has(g));
  }

  /** The expressions this rule stands for, for one principal (empty: it cannot apply to it). */
  expressionsFor(principal: Principal): readonly RegExp[] {
    if (this.fixed) return [this.fixed];
    if (this.usesUser && (principal.anonymous || !isPlaceholderName(principal.name))) return [];
    const withUser = this.spec.match.split(USER).join(escapeRegex(principal.name));
    if (!this.usesGroup) return [new RegExp(withUser)];
    return principal.groups.filter(isPlaceholderName).map((g) => new RegExp(withUser.split(GROUP).join(escapeRegex(g))));
  }
}

/** Compiles rules, reporting every bad expression (checked with placeholders filled in). */
export function compileRules(specs: readonly RuleSpec[], where: (index: number) => string, path: (index: number) => Array<string | number>,
  inOptions = false): { rules: CompiledRule[]; issues: ConfigIssue[] } {
  const rules: CompiledRule[] = [];
  const issues: ConfigIssue[] = [];
  specs.forEach((spec, index) => {
    try {
      new RegExp(spec.match.split(USER).join('u').split(GROUP).join('g'));
      rules.push(new CompiledRule(spec, where(index), inOptions ? path(index) : undefined));
    } catch (err) {
      issues.push({
        path: [...path(index), 'match'],
        message: `not a valid regular expression: ${(err as Error).message}`,
        value: spec.match,
        hint: 'a JavaScript regular expression, e.g. "^/queue/orders\\\\." ; ${user} and ${group} stand for the caller',
      });
    }
  });
  return { rules, issues };
}
