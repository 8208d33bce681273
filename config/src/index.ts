/**
 * @wharf/config: finds the config file (cosmiconfig, explicit search places, one folder), parses
 * YAML and JSON with line numbers, and validates it with @wharf/core's schema.
 */
export { DEFAULT_CONFIG_PATH, SEARCH_PLACES, findConfigFile, loadConfig, loadConfigFile } from './load.js';
export type { LoadConfigOptions, LoadedConfig, LoadedConfigFile } from './load.js';
export { parseConfigFile } from './yaml.js';
export type { ParsedConfigFile } from './yaml.js';
