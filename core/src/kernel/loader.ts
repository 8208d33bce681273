/**
 * Finds and imports the plugins the config names, and checks each one's shape and core range.
 * Every failure stops the start with an error that names the plugin, where the config names it,
 * and the fix. Nothing is skipped.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
// The two functions the loader needs, not the whole package (45 modules a running broker would keep).
import satisfies from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import { ErrorCodes, WharfError } from '../errors.js';
import { formatPath } from '../config/issues.js';
import type { ConfigSource, PluginEntry } from '../spi/config.js';
import { isPluginDefinition, PLUGIN_KINDS, type PluginDefinition } from '../spi/plugin.js';
import { CORE_VERSION } from '../version.js';
import { explainImportFailure } from './load-failure.js';
import { ensureOneCore } from './one-core.js';

export interface LoadedPlugin {
  readonly definition: PluginDefinition<unknown>;
  readonly options: Record<string, unknown>;
  /** How the config names it (a package name, a path, or `<inline name>`). */
  readonly specifier: string;
  /** Its index in `plugins`, for error locations. */
  readonly index: number;
}

/** `wharf.config.yaml:4 plugins[1]`, or `plugins[1]` when the file is unknown. */
export function entryLocation(index: number, source?: ConfigSource): string {
  const path = formatPath(['plugins', index]);
  const at = source?.locate?.(['plugins', index]);
  const file = source?.filepath;
  return file ? `${file}${at ? `:${at.line}` : ''} ${path}` : path;
}

function isLocalPath(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || isAbsolute(specifier) || specifier === '.' || specifier === '..';
}

/** Resolves a specifier to a file URL: paths relative to the config folder, packages from there or from core. */
function resolveSpecifier(specifier: string, configDir: string): string | undefined {
  if (isLocalPath(specifier)) {
    const target = resolve(configDir, specifier);
    try {
      // require.resolve handles a file with or without extension and a folder with package.json.
      return pathToFileURL(createRequire(join(configDir, 'noop.js')).resolve(target)).href;
    } catch {
      return undefined;
    }
  }
  for (const base of [join(configDir, 'noop.js'), import.meta.filename]) {
    try {
      return pathToFileURL(createRequire(base).resolve(specifier)).href;
    } catch {
      // try the next base
    }
  }
  return undefined;
}

function notFoundHint(use: string, configDir: string): string {
  if (!isLocalPath(use)) return `install it next to the config (cd ${configDir} && npm install ${use}) or write a path starting with ./ for a local file`;
  const target = resolve(configDir, use);
  if (existsSync(join(target, 'package.json'))) {
    return `${target} has a package.json, but the file its "exports"/"main" names is missing: build the plugin (cd ${target} && npm run build)`;
  }
  return `paths are relative to the config file's folder ${configDir}; check that ${target} exists`;
}

export async function loadPlugin(entry: PluginEntry, index: number, configDir: string, source?: ConfigSource): Promise<LoadedPlugin> {
  const where = entryLocation(index, source);
  const wrapped = typeof entry === 'object' && !isPluginDefinition(entry)
    ? (entry as { readonly use: string | PluginDefinition<never>; readonly options?: Record<string, unknown> })
    : undefined;
  const use: unknown = wrapped ? wrapped.use : entry;
  const options = { ...(wrapped?.options ?? {}) };
  let definition: unknown;
  let specifier: string;
  if (typeof use === 'string') {
    specifier = use;
    const url = resolveSpecifier(use, configDir);
    if (url === undefined) {
      throw new WharfError(ErrorCodes.PLUGIN_NOT_FOUND, `plugin ${use} (${where}) was not found`, {
        hint: notFoundHint(use, configDir),
        details: { plugin: use },
      });
    }
    // The plugin gets the broker's @wharf/core, whatever its own node_modules hold.
    ensureOneCore();
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (err) {
      const failure = explainImportFailure(err, url);
      throw new WharfError(ErrorCodes.PLUGIN_INVALID, `plugin ${use} (${where}) failed to load: ${failure.reason}`, {
        cause: err, hint: failure.hint, details: { plugin: use, ...failure.details },
      });
    }
    definition = mod.default;
  } else {
    definition = use;
    specifier = `<inline ${(use as { name?: unknown }).name ?? 'plugin'}>`;
  }
  if (!isPluginDefinition(definition) || typeof definition.register !== 'function'
      || !PLUGIN_KINDS.includes(definition.kind) || typeof definition.name !== 'string' || typeof definition.core !== 'string') {
    throw new WharfError(ErrorCodes.PLUGIN_INVALID, `plugin ${specifier} (${where}) does not default-export a plugin definition`, {
      hint: "a plugin module must `export default definePlugin({ kind, name, core: '^" + CORE_VERSION + "' }, register)` using definePlugin from @wharf/core",
      details: { plugin: specifier },
    });
  }
  if (validRange(definition.core) === null) {
    throw new WharfError(ErrorCodes.PLUGIN_INVALID, `plugin ${definition.name} (${where}) gives an invalid core range ${JSON.stringify(definition.core)}`, {
      hint: `write a semver range such as "^${CORE_VERSION}"`, details: { plugin: definition.name },
    });
  }
  if (!satisfies(CORE_VERSION, definition.core, { includePrerelease: true })) {
    throw new WharfError(ErrorCodes.PLUGIN_VERSION,
      `plugin ${definition.name} (${where}) supports @wharf/core ${definition.core}, but this is ${CORE_VERSION}`, {
        hint: `install a version of ${specifier} made for @wharf/core ${CORE_VERSION}, or a Wharf version within ${definition.core}`,
        details: { plugin: definition.name, range: definition.core, core: CORE_VERSION },
      });
  }
  return { definition, options, specifier, index };
}

export async function loadPlugins(entries: readonly PluginEntry[], configDir: string, source?: ConfigSource): Promise<LoadedPlugin[]> {
  const loaded: LoadedPlugin[] = [];
  for (const [index, entry] of entries.entries()) loaded.push(await loadPlugin(entry, index, configDir, source));
  const seen = new Map<string, LoadedPlugin>();
  for (const plugin of loaded) {
    const earlier = seen.get(plugin.definition.name);
    if (earlier) {
      throw new WharfError(ErrorCodes.PLUGIN_CONFLICT,
        `plugin ${plugin.definition.name} is listed twice (${entryLocation(earlier.index, source)} and ${entryLocation(plugin.index, source)})`, {
          hint: 'list each plugin once', details: { plugin: plugin.definition.name },
        });
    }
    seen.set(plugin.definition.name, plugin);
  }
  return loaded;
}
