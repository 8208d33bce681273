/**
 * For runConformance(): what the target's plugins register, found by loading each one into a
 * broker of its own exactly as the broker loads plugins (core's loader, each plugin's register(),
 * its registries), and loading one again with other options to get the implementation a suite
 * checks.
 */
import { Broker, Tokens, createLogger, type Authenticator, type Authorizer, type LoadedPlugin, type PluginDefinition, type PluginEntry, type Store } from '@wharf/core';
import type { ConformanceProfile } from './conformance-profile.js';

export type Section = keyof ConformanceProfile;

/** How a report names an implementation: `queue type priority`, `store sqlite`. */
const SECTION_LABELS: Readonly<Record<Section, string>> = {
  queueTypes: 'queue type', stores: 'store', authenticators: 'authenticator', authorizers: 'authorizer', protocols: 'protocol',
};

export function labelOf(section: Section, name: string): string {
  return `${SECTION_LABELS[section]} ${name}`;
}

/** One implementation a plugin registers. */
export interface Found {
  readonly section: Section;
  readonly name: string;
  readonly plugin: LoadedPlugin;
}

/** Every name routed nowhere: a plugin loaded on its own needs no queue type for the default prefixes. */
const NO_ROUTING = { rules: [], prefixes: {}, fallback: 'reject' };
const SILENT = { level: 'silent' };

export function entryOf(plugin: LoadedPlugin, options: Record<string, unknown> = plugin.options): PluginEntry {
  return { use: plugin.definition as PluginDefinition<never>, options };
}

function createBroker(plugin: LoadedPlugin, configDir: string, options?: Record<string, unknown>): Promise<Broker> {
  return Broker.create({ plugins: [entryOf(plugin, options)], routing: NO_ROUTING, log: SILENT }, { configDir, logger: createLogger('silent') });
}

function registered<T>(broker: Broker, token: symbol | string, nameOf: (item: T) => string): string[] {
  if (!broker.container.isRegistered(token as never, true)) return [];
  return broker.container.resolveAll<T>(token as never).map(nameOf);
}

/** The kinds of implementation a plugin of this kind may register (profile sections). */
const SECTIONS_OF_KIND: Readonly<Record<string, readonly Section[]>> = {
  'queue-type': ['queueTypes'],
  store: ['stores'],
  security: ['authenticators', 'authorizers'],
  protocol: ['protocols'],
};

/**
 * What each plugin registers. A plugin that cannot be loaded on its own (its options are
 * required, it needs another plugin) is taken to provide what the profile names for its kind.
 */
export async function discover(plugins: readonly LoadedPlugin[], configDir: string, profile: ConformanceProfile): Promise<{ found: Found[]; unchecked: string[]; nothingToCheck: string[] }> {
  const found: Found[] = [];
  const unchecked: string[] = [];
  const nothingToCheck: string[] = [];
  const failed: Array<{ plugin: LoadedPlugin; reason: string }> = [];
  for (const plugin of plugins) {
    if (plugin.definition.kind === 'extension') {
      // An extension (the cluster plugin) is no kind a suite is written for: its own tests check it.
      nothingToCheck.push(`plugin ${plugin.definition.name} (extension): no conformance suite checks extensions; the package's own tests do`);
      continue;
    }
    let broker: Broker;
    try {
      broker = await createBroker(plugin, configDir);
    } catch (err) {
      failed.push({ plugin, reason: (err as Error).message });
      continue;
    }
    const add = (section: Section, names: Iterable<string>): void => {
      for (const name of names) found.push({ section, name, plugin });
    };
    add('queueTypes', broker.queueTypes.types.keys());
    add('stores', broker.stores.stores.keys());
    add('protocols', broker.protocols.adapters.keys());
    add('authenticators', registered<Authenticator>(broker, Tokens.Authenticator as never, (a) => a.name));
    add('authorizers', registered<Authorizer>(broker, Tokens.Authorizer as never, (a) => a.name));
    await broker.stop().catch(() => undefined);
    if (!found.some((f) => f.plugin === plugin)) unchecked.push(`plugin ${plugin.definition.name} (${plugin.definition.kind}): registers nothing a conformance suite checks`);
  }
  for (const { plugin, reason } of failed) {
    const sections = SECTIONS_OF_KIND[plugin.definition.kind] ?? [];
    const named = sections.flatMap((section) => Object.keys(profile[section] ?? {})
      .filter((name) => !found.some((f) => f.section === section && f.name === name))
      .map((name) => ({ section, name, plugin })));
    if (named.length > 0) found.push(...named);
    else {
      unchecked.push(`plugin ${plugin.definition.name}: cannot be loaded on its own to see what it provides (${reason}); ` +
        `name what it provides in the conformance profile (${sections.join(' or ') || 'a section for its kind'})`);
    }
  }
  return { found, unchecked, nothingToCheck };
}

/** Brokers opened for the suites' `load()`, stopped when the run ends. */
export class Loads {
  private readonly brokers: Broker[] = [];

  constructor(private readonly configDir: string) {}

  /** Loads the plugin (with `options`, else its own) and starts it (its start hooks run) when asked. */
  private async open(plugin: LoadedPlugin, options: Record<string, unknown> | undefined, configDir: string | undefined, start: boolean): Promise<Broker> {
    const broker = await createBroker(plugin, configDir ?? this.configDir, options);
    this.brokers.push(broker);
    if (start) await broker.start();
    return broker;
  }

  store(plugin: LoadedPlugin, name: string): (options?: Record<string, unknown>, configDir?: string) => Promise<Store> {
    return async (options, configDir) => {
      // Not started: the suite opens (setup) and closes the store itself.
      const broker = await this.open(plugin, options, configDir, false);
      return required(broker.stores.stores.get(name), plugin, 'store', name);
    };
  }

  authenticator(plugin: LoadedPlugin, name: string): (options?: Record<string, unknown>, configDir?: string) => Promise<Authenticator> {
    return async (options, configDir) => {
      const broker = await this.open(plugin, options, configDir, true);
      const all = broker.container.isRegistered(Tokens.Authenticator as never, true) ? broker.container.resolveAll<Authenticator>(Tokens.Authenticator as never) : [];
      return required(all.find((a) => a.name === name), plugin, 'authenticator', name);
    };
  }

  authorizer(plugin: LoadedPlugin, name: string): (options?: Record<string, unknown>, configDir?: string) => Promise<Authorizer> {
    return async (options, configDir) => {
      const broker = await this.open(plugin, options, configDir, true);
      const all = broker.container.isRegistered(Tokens.Authorizer as never, true) ? broker.container.resolveAll<Authorizer>(Tokens.Authorizer as never) : [];
      return required(all.find((a) => a.name === name), plugin, 'authorizer', name);
    };
  }

  async stopAll(): Promise<void> {
    for (const broker of this.brokers.splice(0)) await broker.stop().catch(() => undefined);
  }
}

function required<T>(value: T | undefined, plugin: LoadedPlugin, what: string, name: string): T {
  if (value === undefined) throw new Error(`plugin ${plugin.definition.name} registered no ${what} named ${name} with these options`);
  return value;
}
