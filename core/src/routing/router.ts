/**
 * Decides which queue type a destination name gets: the config's ordered regex rules first (the
 * first whose regex matches the name wins), then the longest matching prefix, then the fallback.
 * Regexes compile once; decisions are cached per name, up to a bound, because routing sits on the
 * path of every first use of a name.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { RoutingConfig } from '../spi/config.js';

export type RouteSource =
  | { readonly kind: 'rule'; readonly index: number; readonly match: string }
  | { readonly kind: 'prefix'; readonly prefix: string }
  | { readonly kind: 'fallback' };

export interface RouteDecision {
  /** The queue type, or undefined when the name is refused (`fallback: reject`). */
  readonly type: string | undefined;
  /** Settings for the destination (a rule's `options`). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly source: RouteSource;
}

/** The fallback value that refuses names no rule or prefix matched. */
export const REJECT = 'reject';

const NO_SETTINGS: Readonly<Record<string, unknown>> = Object.freeze({});

interface CompiledRule {
  readonly regex: RegExp;
  readonly decision: RouteDecision;
}

export class Router {
  private readonly rules: readonly CompiledRule[];
  /** Longest first, so the first prefix that matches is the longest. */
  private readonly prefixes: ReadonlyArray<readonly [string, RouteDecision]>;
  private readonly fallback: RouteDecision;
  private readonly cache = new Map<string, RouteDecision>();
  private readonly cacheSize: number;
  /** Cached names, oldest at `cacheNext` once the cache is full. */
  private readonly cacheOrder: string[] = [];
  private cacheNext = 0;

  constructor(config: RoutingConfig) {
    this.rules = config.rules.map((rule, index) => ({
      // The regex is searched for in the name exactly as written: anchors are the user's choice
      // (`^/queue/priority\.`), as in every regex-routing broker config.
      regex: new RegExp(rule.match),
      decision: Object.freeze({
        type: rule.type,
        settings: Object.freeze({ ...(rule.options ?? {}) }),
        source: Object.freeze({ kind: 'rule', index, match: rule.match }),
      }),
    }));
    this.prefixes = Object.entries(config.prefixes)
      .sort(([a], [b]) => b.length - a.length)
      .map(([prefix, type]) => [prefix, Object.freeze({ type, settings: NO_SETTINGS, source: Object.freeze({ kind: 'prefix', prefix }) })] as const);
    this.fallback = Object.freeze({
      type: config.fallback === REJECT ? undefined : config.fallback,
      settings: NO_SETTINGS,
      source: Object.freeze({ kind: 'fallback' }),
    });
    this.cacheSize = config.cacheSize;
  }

  route(name: string): RouteDecision {
    const cached = this.cache.get(name);
    if (cached !== undefined) return cached;
    const decision = this.decide(name);
    if (this.cacheSize > 0) {
      // A bounded cache: past the bound, the oldest entry goes. The names are kept in a ring in
      // insertion order: asking the Map for its first key instead costs a scan past every deleted
      // slot, which made a stream of distinct names (a million topics nobody listens to) quadratic.
      if (this.cacheOrder.length < this.cacheSize) this.cacheOrder.push(name);
      else {
        this.cache.delete(this.cacheOrder[this.cacheNext]!);
        this.cacheOrder[this.cacheNext] = name;
        this.cacheNext = (this.cacheNext + 1) % this.cacheSize;
      }
      this.cache.set(name, decision);
    }
    return decision;
  }

  /** Like route(), but throws NO_ROUTE for refused names. */
  typeOf(name: string): RouteDecision & { readonly type: string } {
    const decision = this.route(name);
    if (decision.type === undefined) {
      throw new WharfError(ErrorCodes.NO_ROUTE, `no queue type is configured for destination ${name}`, {
        hint: 'add a routing rule or prefix that matches it, or set routing.fallback to a queue type',
        details: { destination: name },
      });
    }
    return decision as RouteDecision & { readonly type: string };
  }

  /** Cached decisions, for tests and stats. */
  get cachedCount(): number {
    return this.cache.size;
  }

  private decide(name: string): RouteDecision {
    for (const rule of this.rules) if (rule.regex.test(name)) return rule.decision;
    for (const [prefix, decision] of this.prefixes) if (name.startsWith(prefix)) return decision;
    return this.fallback;
  }
}

/** A sentence saying which rule, prefix or fallback decided, for `wharf routes explain`. */
export function explainRoute(name: string, decision: RouteDecision): string {
  const type = decision.type ?? 'refused (fallback: reject)';
  switch (decision.source.kind) {
    case 'rule':
      return `${name} -> ${type} (routing.rules[${decision.source.index}] match ${JSON.stringify(decision.source.match)})`;
    case 'prefix':
      return `${name} -> ${type} (routing.prefixes ${JSON.stringify(decision.source.prefix)})`;
    case 'fallback':
      return `${name} -> ${type} (routing.fallback)`;
  }
}
