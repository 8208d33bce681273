/**
 * The ACL authorizer. A principal's rights on a destination are the union of `allow` over the
 * rules that match the destination and name the principal, minus the union of their `deny`. No
 * rule, no right. Rule order does not change the answer; it is kept for explanations.
 */
import type { Authorizer, Principal, Right, SettingRef } from '@wharf/core';
import { PLUGIN_NAME } from './options.js';
import type { CompiledRule } from './rule.js';

/** How one rule bore on one question, for `wharf acl explain`. */
export interface RuleVerdict {
  readonly where: string;
  readonly match: string;
  readonly names: boolean;
  readonly matches: boolean;
  readonly allow: readonly Right[];
  readonly deny: readonly Right[];
}

export interface Explanation {
  readonly rights: ReadonlySet<Right>;
  /** Every rule that names the principal, whether or not it matches. */
  readonly rules: readonly RuleVerdict[];
}

/** Bound on principals whose compiled expressions are kept. */
const MAX_CACHED_PRINCIPALS = 1000;

export class AclAuthorizer implements Authorizer {
  readonly name = 'acl';
  private rules: readonly CompiledRule[] = [];
  private readonly listeners: Array<() => void> = [];
  private readonly perPrincipal = new Map<string, ReadonlyArray<{ rule: CompiledRule; expressions: readonly RegExp[] }>>();

  constructor(rules: readonly CompiledRule[] = []) {
    this.rules = rules;
  }

  /** Replaces the rules and tells core to drop the answers it cached. */
  setRules(rules: readonly CompiledRule[]): void {
    this.rules = rules;
    this.perPrincipal.clear();
    for (const listener of this.listeners) listener();
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  rights(principal: Principal, destination: string): ReadonlySet<Right> {
    const allowed = new Set<Right>();
    const denied = new Set<Right>();
    for (const { rule, expressions } of this.applicable(principal)) {
      if (!expressions.some((e) => e.test(destination))) continue;
      for (const r of rule.allow) allowed.add(r);
      for (const r of rule.deny) denied.add(r);
    }
    for (const r of denied) allowed.delete(r);
    return allowed;
  }

  /** Over-approximates: some rule names the principal, can apply to it, and allows something. */
  grantsAnything(principal: Principal): boolean {
    return this.applicable(principal).some(({ rule }) => rule.allow.length > 0);
  }

  /** The rules that can give `principal` a right, for the start-up safety check's error. */
  grantsTo(principal: Principal): SettingRef[] {
    return this.applicable(principal).filter(({ rule }) => rule.allow.length > 0).map(({ rule }) => {
      const who = [rule.spec.users?.length ? `users [${rule.spec.users.join(', ')}]` : '', rule.spec.groups?.length ? `groups [${rule.spec.groups.join(', ')}]` : '']
        .filter(Boolean).join(' and ');
      const text = `match '${rule.spec.match}' for ${who} allows ${rule.allow.join(', ')}${rule.deny.length ? ` (denies ${rule.deny.join(', ')})` : ''}`;
      return rule.optionPath ? { plugin: PLUGIN_NAME, path: rule.optionPath, text } : { plugin: PLUGIN_NAME, where: rule.where, text };
    });
  }

  explain(principal: Principal, destination: string): Explanation {
    const rules = this.rules.filter((rule) => rule.names(principal)).map((rule): RuleVerdict => ({
      where: rule.where,
      match: rule.spec.match,
      names: true,
      matches: rule.expressionsFor(principal).some((e) => e.test(destination)),
      allow: rule.allow,
      deny: rule.deny,
    }));
    return { rights: this.rights(principal, destination), rules };
  }

  /** The rules naming `principal`, with their expressions for it (compiled once per principal). */
  private applicable(principal: Principal): ReadonlyArray<{ rule: CompiledRule; expressions: readonly RegExp[] }> {
    const key = `${principal.anonymous ? '?' : '!'}${principal.name}\u0000${principal.groups.join('\u0000')}`;
    let found = this.perPrincipal.get(key);
    if (found === undefined) {
      found = this.rules.filter((rule) => rule.names(principal))
        .map((rule) => ({ rule, expressions: rule.expressionsFor(principal) }))
        .filter(({ expressions }) => expressions.length > 0);
      if (this.perPrincipal.size >= MAX_CACHED_PRINCIPALS) this.perPrincipal.clear();
      this.perPrincipal.set(key, found);
    }
    return found;
  }
}
