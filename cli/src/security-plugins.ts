/**
 * Where `wharf users` and `wharf acl` find their files: in the options of the security plugins that
 * the loaded config lists (the plugins are loaded to recognise them, however the config names them:
 * package name, path or { use, options }), relative to the config file as the broker reads them.
 */
import { dirname } from 'node:path';
import type { LoadedPlugin } from '@wharf/core';
import { loadBrokerConfig, prepareBroker, type ConfigOption } from './load.js';

export interface FoundPlugin {
  readonly options: Record<string, unknown>;
  /** The folder relative paths in the options are read from (the config file's). */
  readonly configDir: string;
  readonly configFile: string;
}

/** The security plugins of a config, by name, and the names of the other security plugins it loads. */
export interface SecurityPlugins {
  readonly configFile: string;
  readonly byName: ReadonlyMap<string, FoundPlugin>;
  /** Security plugins other than those asked for: their decisions are not known to the CLI. */
  readonly others: readonly string[];
}

/** The plugins of the config named in `names` (the first of each), and the other security plugins. */
export async function findSecurityPlugins(names: readonly string[], options: ConfigOption): Promise<SecurityPlugins> {
  const loaded = await loadBrokerConfig(options);
  const broker = await prepareBroker(loaded);
  const byName = new Map<string, FoundPlugin>();
  const others: string[] = [];
  const found = (plugin: LoadedPlugin): FoundPlugin =>
    ({ options: plugin.options ?? {}, configDir: dirname(loaded.filepath), configFile: loaded.filepath });
  for (const plugin of broker.plugins) {
    const name = plugin.definition.name;
    if (names.includes(name)) {
      if (!byName.has(name)) byName.set(name, found(plugin));
    } else if (plugin.definition.kind === 'security') others.push(name);
  }
  return { configFile: loaded.filepath, byName, others };
}

/** The first plugin of the config named `name`, or undefined (and the config file, for messages). */
export async function findSecurityPlugin(name: string, options: ConfigOption): Promise<{ found?: FoundPlugin; configFile: string }> {
  const { byName, configFile } = await findSecurityPlugins([name], options);
  const found = byName.get(name);
  return found ? { found, configFile } : { configFile };
}
