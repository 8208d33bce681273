/**
 * Finding and loading the config file. cosmiconfig looks in exactly one folder (`cwd`): its
 * default `searchStrategy: 'none'` does not walk up to parent folders, and we keep it so a broker
 * never picks up a config from somewhere above the folder it was started in. It only looks at the
 * names listed in SEARCH_PLACES (it would not find `wharf.config.yaml` otherwise), in that order.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosmiconfig, type CosmiconfigResult, type LoaderSync } from 'cosmiconfig';
import { ConfigError, validateConfig, type BrokerConfig, type ConfigSource } from '@wharf/core';
import { parseConfigFile, type ParsedConfigFile } from './yaml.js';

/** Where the config is looked for, first match wins. package.json counts only with a `wharf` key. */
export const SEARCH_PLACES: readonly string[] = [
  'package.json',
  '.wharfrc',
  '.wharfrc.json',
  '.wharfrc.yaml',
  '.wharfrc.yml',
  '.wharfrc.js',
  '.wharfrc.mjs',
  '.wharfrc.cjs',
  'wharf.config.yaml',
  'wharf.config.yml',
  'wharf.config.json',
  'wharf.config.js',
  'wharf.config.mjs',
  'wharf.config.cjs',
];

/** The search places as a sentence, for hints. */
const PLACES_TEXT = SEARCH_PLACES.map((p) => (p === 'package.json' ? 'package.json (under a "wharf" key)' : p)).join(', ');

/** The commented default config shipped with this package, used when no file is found. */
export const DEFAULT_CONFIG_PATH: string = fileURLToPath(new URL('../../wharf.config.yaml', import.meta.url));

export interface LoadConfigOptions {
  /** A file to load instead of searching (`--config`), relative to `cwd`. A folder is searched. */
  configPath?: string | undefined;
  /** The folder searched (only that folder, not its parents). Defaults to process.cwd(). */
  cwd?: string | undefined;
  /** Use the shipped default config when the search finds nothing (default true). */
  fallbackToDefault?: boolean | undefined;
}

export interface LoadedConfigFile {
  /** The config as the file says it, not validated (`wharf config check` validates it with the rest). */
  readonly raw: unknown;
  /** The file, for error messages (and line numbers, for YAML and JSON files). */
  readonly source: ConfigSource;
  /** Absolute path of the file loaded. */
  readonly filepath: string;
  /** True when no config file was found and the shipped default was used. */
  readonly isDefault: boolean;
}

export interface LoadedConfig extends LoadedConfigFile {
  /** The validated config, defaults filled in. */
  readonly config: BrokerConfig;
}

/** One explorer per load: nothing is cached between loads, and each knows the documents it parsed. */
function explorer(parsed: Map<string, ParsedConfigFile>) {
  const loadYaml: LoaderSync = (filepath, content) => {
    const prefix = path.basename(filepath) === 'package.json' ? ['wharf'] : [];
    const file = parseConfigFile(filepath, content, prefix);
    parsed.set(filepath, file);
    // A file holding only comments is an empty config (null would make cosmiconfig skip the file).
    return file.value ?? {};
  };
  return cosmiconfig('wharf', {
    searchPlaces: [...SEARCH_PLACES],
    // JSON is parsed as YAML too (YAML 1.2 reads JSON): one parser, line numbers for both.
    // .js, .mjs and .cjs use cosmiconfig's own loaders (an import; no line numbers).
    loaders: { '.json': loadYaml, '.yaml': loadYaml, '.yml': loadYaml, noExt: loadYaml },
    // An empty wharf.config.yaml is a config (all defaults), not a reason to keep looking.
    ignoreEmptySearchPlaces: false,
    cache: false,
  });
}

/**
 * Finds the config file `loadConfig` would use, without validating it (a file that cannot be
 * parsed still throws its ConfigError).
 * @returns its absolute path, or undefined when `cwd` holds none.
 */
export async function findConfigFile(options: { cwd?: string | undefined } = {}): Promise<string | undefined> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const result = await run(cwd, () => explorer(new Map()).search(cwd));
  return result?.filepath;
}

/**
 * Loads and validates the config: the file named by `configPath`, else the first of SEARCH_PLACES
 * found in `cwd`, else (with fallbackToDefault) the shipped default.
 * @throws ConfigError naming the file, listing every problem with its line when known.
 */
/** Finds, reads and validates the config. @throws ConfigError listing every problem of the file. */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const file = await loadConfigFile(options);
  return { ...file, config: validateConfig(file.raw, file.source) };
}

/** Finds and reads the config without validating it. @throws ConfigError when it cannot be found or parsed. */
export async function loadConfigFile(options: LoadConfigOptions = {}): Promise<LoadedConfigFile> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const parsed = new Map<string, ParsedConfigFile>();
  const ex = explorer(parsed);
  let result: CosmiconfigResult;
  let isDefault = false;

  if (options.configPath !== undefined) {
    const filepath = path.resolve(cwd, options.configPath);
    const kind = await stat(filepath).then(
      (s) => (s.isDirectory() ? 'dir' : 'file'),
      () => undefined,
    );
    if (kind === undefined) {
      throw new ConfigError(
        [{ path: [], message: 'the file does not exist', hint: `check the path (relative paths are resolved from ${cwd})` }],
        { filepath },
        `config file ${filepath} not found`,
      );
    }
    result = await run(filepath, () => (kind === 'dir' ? ex.search(filepath) : ex.load(filepath)));
    if (!result && kind === 'dir') {
      throw new ConfigError(
        [{ path: [], message: 'no config file here', hint: `create one of: ${PLACES_TEXT}` }],
        { filepath },
        `no config file in ${filepath}`,
      );
    }
    if (!result) {
      // Only package.json without a `wharf` key loads as nothing.
      throw new ConfigError(
        [{ path: ['wharf'], message: 'this package.json has no "wharf" key', hint: 'put the config under "wharf", or use a wharf.config.yaml' }],
        { filepath },
      );
    }
  } else {
    result = await run(cwd, () => ex.search(cwd));
    if (!result) {
      if (options.fallbackToDefault === false) {
        throw new ConfigError(
          [{ path: [], message: 'no config file found', hint: `create one of: ${PLACES_TEXT}; or pass --config <file>` }],
          { filepath: cwd },
          `no config file in ${cwd}`,
        );
      }
      result = await run(DEFAULT_CONFIG_PATH, () => ex.load(DEFAULT_CONFIG_PATH));
      isDefault = true;
    }
  }
  if (!result) throw new Error(`cosmiconfig returned nothing for ${DEFAULT_CONFIG_PATH}`); // the default is shipped

  const filepath = path.resolve(result.filepath);
  const file = parsed.get(result.filepath) ?? parsed.get(filepath);
  const source: ConfigSource = file ? { filepath, locate: file.locate } : { filepath };
  return { raw: result.isEmpty ? {} : (result.config as unknown), source, filepath, isDefault };
}

/** Runs a cosmiconfig call; any failure other than a ConfigError becomes one naming the file. */
async function run(where: string, load: () => Promise<CosmiconfigResult>): Promise<CosmiconfigResult> {
  try {
    return await load();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const filepath = (err as { filepath?: unknown } | null)?.filepath;
    const file = typeof filepath === 'string' ? filepath : where;
    const reason = err instanceof Error ? err.message : String(err);
    const noLoader = /No loader specified/.test(reason);
    throw new ConfigError(
      [
        {
          path: [],
          message: noLoader ? 'this kind of file cannot be read' : `could not be loaded: ${reason}`,
          hint: noLoader
            ? 'use a .yaml, .yml, .json, .js, .mjs or .cjs file'
            : /\.[cm]?js$/.test(file)
              ? 'a JS config must run without errors and export the config (export default { ... } or module.exports = { ... })'
              : 'check that the file can be read',
        },
      ],
      { filepath: file },
      `${file} could not be loaded`,
    );
  }
}
