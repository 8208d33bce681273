/**
 * Rights by destination: each rule names a destination exactly (`destination`) or by its start
 * (`prefix`), whom it is for (`users`, `groups`), and the rights it allows and denies. A principal's
 * rights on a destination are everything allowed by the rules that apply, minus everything they
 * deny (a deny wins, whatever the order). Rules can be replaced while running: core is told
 * through onChange and drops the answers it cached.
 */
import { ALL_RIGHTS } from '@wharf/core';

/** @typedef {import('@wharf/core').Authorizer} Authorizer */
/** @typedef {import('@wharf/core').Principal} Principal */
/** @typedef {import('@wharf/core').Right} Right */

/**
 * @typedef {object} Rule
 * @property {string} [destination] The exact destination name the rule is for (a rule has this or prefix).
 * @property {string} [prefix] The start of the names it is for (`/queue/orders.`).
 * @property {readonly string[]} [users]
 * @property {readonly string[]} [groups]
 * @property {readonly Right[]} [allow]
 * @property {readonly Right[]} [deny]
 */

/** @implements {Authorizer} */
export class PrefixAuthorizer {
  /** @type {readonly Rule[]} */ #rules;
  /** @type {(() => void)[]} */ #listeners = [];

  /** @param {string} name @param {readonly Rule[]} rules */
  constructor(name, rules) {
    this.name = name;
    this.#rules = rules;
  }

  /** @param {Principal} principal @param {string} destination @returns {ReadonlySet<Right>} */
  rights(principal, destination) {
    /** @type {Set<Right>} */
    const allowed = new Set();
    /** @type {Set<Right>} */
    const denied = new Set();
    for (const rule of this.#rules) {
      if (!appliesTo(rule, principal) || !matches(rule, destination)) continue;
      for (const r of rule.allow ?? []) allowed.add(r);
      for (const r of rule.deny ?? []) denied.add(r);
    }
    for (const r of denied) allowed.delete(r);
    return allowed;
  }

  /** Whether some rule could give `principal` a right somewhere (core's start-up safety check). */
  /** @param {Principal} principal */
  grantsAnything(principal) {
    return this.#rules.some((rule) => appliesTo(rule, principal) && (rule.allow ?? []).length > 0);
  }

  /** @param {() => void} listener */
  onChange(listener) {
    this.#listeners.push(listener);
  }

  /** Replaces the rules; core drops its cached answers. */
  /** @param {readonly Rule[]} rules */
  setRules(rules) {
    this.#rules = rules;
    for (const listener of this.#listeners) listener();
  }
}

/** The rights a rule may name, for the options schema. */
export const RIGHTS = ALL_RIGHTS;

/** @param {Rule} rule @param {Principal} principal */
function appliesTo(rule, principal) {
  if (!principal.anonymous && rule.users?.includes(principal.name)) return true;
  if (principal.anonymous && rule.users?.includes('anonymous')) return true;
  return (rule.groups ?? []).some((g) => principal.groups.includes(g));
}

/** @param {Rule} rule @param {string} destination */
function matches(rule, destination) {
  if (rule.destination !== undefined) return rule.destination === destination;
  return rule.prefix !== undefined && destination.startsWith(rule.prefix);
}
