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

/** The first plugin of the config named `name`, or undefined (and the config file, for messages). */
export async function findSecurityPlugin(name: string, options: ConfigOption): Promise<{ found?: FoundPlugin; configFile: string }> {
  const loaded = await loadBrokerConfig(options);
  const broker = await prepareBroker(loaded);
  const plugin: LoadedPlugin | undefined = broker.plugins.find((p) => p.definition.name === name);
  if (!plugin) return { configFile: loaded.filepath };
  return { found: { options: plugin.options ?? {}, configDir: dirname(loaded.filepath), configFile: loaded.filepath }, configFile: loaded.filepath };
}
