/** `wharf routes explain NAME`: which rule, prefix or fallback gives NAME its queue type. */
import { explainRoute } from '@wharf/core';
import { loadBrokerConfig, prepareBroker, type ConfigOption } from '../load.js';

export async function routesExplain(name: string, options: ConfigOption, out: (line: string) => void): Promise<number> {
  const broker = await prepareBroker(await loadBrokerConfig(options));
  const decision = broker.router.route(name);
  out(explainRoute(name, decision));
  return decision.type === undefined ? 1 : 0;
}
