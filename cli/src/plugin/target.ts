/**
 * What `wharf plugin check` checks: a plugin folder (or file) on disk, or a package name resolved
 * from the current folder as a config there would resolve it; its package folder (where the
 * conformance profile is named); and its options from a config file when `--config` names one.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { ErrorCodes, WharfError, type PluginEntry } from '@wharf/core';
import type { LoadedConfig } from '@wharf/config';
import { loadBrokerConfig } from '../load.js';

export interface CheckTarget {
  /** The plugins entry the broker would have: the absolute path or the package name, with options. */
  readonly entry: PluginEntry;
  /** Relative paths in options are resolved from here (the config's folder, or the current one). */
  readonly configDir: string;
  /** The plugin's package folder, where package.json names the conformance profile (none for a lone file). */
  readonly packageDir: string | undefined;
  /** The config --config named, if any. */
  readonly config?: LoadedConfig;
}

const isPath = (s: string): boolean => s.startsWith('.') || isAbsolute(s) || existsSync(s);

export async function checkTarget(plugin: string, configFile: string | undefined, cwd: string): Promise<CheckTarget> {
  const loaded = configFile === undefined ? undefined : await loadBrokerConfig({ config: configFile });
  const configDir = loaded?.filepath ? dirname(loaded.filepath) : cwd;
  const use = isPath(plugin) ? resolve(cwd, plugin) : plugin;
  const packageDir = isPath(plugin) ? packageFolderOf(use) : installedPackageFolder(plugin, configDir, cwd);
  const options = loaded ? optionsFromConfig(loaded.config.plugins, use, configDir) : undefined;
  return { entry: options ? { use, options } : use, configDir, packageDir, ...(loaded ? { config: loaded } : {}) };
}

/** A folder with a package.json is the package; a file belongs to the nearest package above it. */
function packageFolderOf(path: string): string | undefined {
  let dir = existsSync(join(path, 'package.json')) ? path : dirname(path);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function installedPackageFolder(name: string, ...bases: string[]): string {
  for (const base of bases) {
    try {
      return packageFolderOf(createRequire(join(base, 'noop.js')).resolve(name))!;
    } catch {
      // the next base
    }
  }
  throw new WharfError(ErrorCodes.PLUGIN_NOT_FOUND, `plugin ${name} was not found from ${bases[0]}`, {
    hint: `install it (cd ${bases[0]} && npm install ${name}), or give the plugin's folder: wharf plugin check ./path/to/plugin`,
    details: { plugin: name },
  });
}

/** The options the config gives the same plugin (same package name, or a path to the same place). */
function optionsFromConfig(entries: readonly PluginEntry[], use: string, configDir: string): Record<string, unknown> | undefined {
  for (const entry of entries) {
    if (typeof entry !== 'object' || !('use' in entry) || typeof entry.use !== 'string') continue;
    const same = isPath(entry.use) ? resolve(configDir, entry.use) === use : entry.use === use;
    if (same) return entry.options ?? {};
  }
  return undefined;
}
