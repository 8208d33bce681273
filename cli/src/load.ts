/** Loads the config the way every command does: --config, else the search places, else the shipped default. */
import { Broker, createLogger, type Logger } from '@wharf/core';
import { loadConfig, loadConfigFile, type LoadedConfig, type LoadedConfigFile } from '@wharf/config';

export interface ConfigOption {
  readonly config?: string;
}

export async function loadBrokerConfig(options: ConfigOption): Promise<LoadedConfig> {
  return loadConfig({ ...(options.config ? { configPath: options.config } : {}), cwd: process.cwd() });
}

/** The config file as written, not validated yet (`config check` validates it with everything else). */
export async function loadConfigAsWritten(options: ConfigOption): Promise<LoadedConfigFile> {
  return loadConfigFile({ ...(options.config ? { configPath: options.config } : {}), cwd: process.cwd() });
}

/** Validates the config and loads its plugins, without opening anything. */
export async function prepareBroker(loaded: LoadedConfig, logger?: Logger): Promise<Broker> {
  return Broker.create(loaded.config, {
    source: loaded.source,
    logger: logger ?? createLogger('silent'),
  });
}
