/**
 * Rights by destination: each rule names a destination exactly (`destination`) or by its start
 * (`prefix`), whom it is for (`users`, `groups`), and the rights it allows and denies. A principal's
 * rights on a destination are everything allowed by the rules that apply, minus everything they
 * deny (a deny wins, whatever the order). Rules can be replaced while running: core is told
 * through onChange and drops the answers it cached.
 */
import { ALL_RIGHTS, type Authorizer, type Principal, type Right } from '@wharf/core';

export interface Rule {
  /** The exact destination name the rule is for … */
  readonly destination?: string;
  /** … or the start of the names it is for (`/queue/orders.`). */
  readonly prefix?: string;
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
  readonly allow?: readonly Right[];
  readonly deny?: readonly Right[];
}

export class PrefixAuthorizer implements Authorizer {
  private rules: readonly Rule[];
  private readonly listeners: (() => void)[] = [];

  constructor(readonly name: string, rules: readonly Rule[]) {
    this.rules = rules;
  }

  rights(principal: Principal, destination: string): ReadonlySet<Right> {
    const allowed = new Set<Right>();
    const denied = new Set<Right>();
    for (const rule of this.rules) {
      if (!appliesTo(rule, principal) || !matches(rule, destination)) continue;
      for (const r of rule.allow ?? []) allowed.add(r);
      for (const r of rule.deny ?? []) denied.add(r);
    }
    for (const r of denied) allowed.delete(r);
    return allowed;
  }

  /** Whether some rule could give `principal` a right somewhere (core's start-up safety check). */
  grantsAnything(principal: Principal): boolean {
    return this.rules.some((rule) => appliesTo(rule, principal) && (rule.allow ?? []).length > 0);
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Replaces the rules; core drops its cached answers. */
  setRules(rules: readonly Rule[]): void {
    this.rules = rules;
    for (const listener of this.listeners) listener();
  }
}

/** The rights a rule may name, for the options schema. */
export const RIGHTS: readonly Right[] = ALL_RIGHTS;

function appliesTo(rule: Rule, principal: Principal): boolean {
  if (!principal.anonymous && rule.users?.includes(principal.name)) return true;
  if (principal.anonymous && rule.users?.includes('anonymous')) return true;
  return (rule.groups ?? []).some((g) => principal.groups.includes(g));
}

function matches(rule: Rule, destination: string): boolean {
  if (rule.destination !== undefined) return rule.destination === destination;
  return rule.prefix !== undefined && destination.startsWith(rule.prefix);
}
