/**
 * `wharf routes explain NAME`: which rule, prefix or fallback gives NAME its queue type — and, when
 * NAME fell through to the fallback (or a shorter prefix) but nearly matched a prefix (`/Queue/x`,
 * `/queue`, `queue/x` for the prefix `/queue/`), which prefix and the name it would need to be:
 * such names silently become topics otherwise.
 */
import { explainRoute, type RouteDecision } from '@wharf/core';
import { loadBrokerConfig, prepareBroker, type ConfigOption } from '../load.js';

export async function routesExplain(name: string, options: ConfigOption, out: (line: string) => void): Promise<number> {
  const broker = await prepareBroker(await loadBrokerConfig(options));
  const decision = broker.router.route(name);
  out(explainRoute(name, decision));
  for (const miss of nearMisses(name, decision, broker.config.routing.prefixes)) out(`  hint: ${miss}`);
  return decision.type === undefined ? 1 : 0;
}

/** Prefixes NAME nearly matched, each with the name that would match it. */
export function nearMisses(name: string, decision: RouteDecision, prefixes: Readonly<Record<string, string>>): string[] {
  // A rule decided on purpose; a prefix decided unless a longer one was nearly meant.
  if (decision.source.kind === 'rule') return [];
  const decidedBy = decision.source.kind === 'prefix' ? decision.source.prefix.length : 0;
  const hints: string[] = [];
  for (const [prefix, type] of Object.entries(prefixes)) {
    if (prefix.length <= decidedBy || name.startsWith(prefix)) continue;
    const meant = meantName(name, prefix);
    if (meant === undefined) continue;
    hints.push(`${JSON.stringify(name)} nearly matches the prefix ${JSON.stringify(prefix)} (${type}) but ${meant.why}; ` +
      `a ${type} would be ${JSON.stringify(meant.name)}`);
  }
  return hints;
}

/** The name the user probably meant for `prefix`, and how NAME differs from it; undefined when it is not close. */
function meantName(name: string, prefix: string): { name: string; why: string } | undefined {
  const lower = name.toLowerCase();
  const lowerPrefix = prefix.toLowerCase();
  if (lower.startsWith(lowerPrefix)) return { name: prefix + name.slice(prefix.length), why: 'names are case-sensitive' };
  const bare = prefix.replace(/\/$/, '');
  if (prefix.endsWith('/') && (name === bare || lower === bare.toLowerCase())) {
    return { name: `${prefix}NAME`, why: `the prefix ends with "/": write a name after it` };
  }
  if (prefix.startsWith('/') && !name.startsWith('/') && `/${lower}`.startsWith(lowerPrefix)) {
    return { name: prefix + name.slice(prefix.length - 1), why: 'it lacks the leading "/"' };
  }
  return undefined;
}
