/**
 * Putting a broker together from its config, checking as it goes, and going as far as the problems
 * allow so that one run reports them all: the schema, then each plugin (loaded, its options
 * checked, registered — one that fails does not stop the others), then what the config names
 * (queue types, protocols, the store), then the memory watermarks. What a problem keeps from being
 * checked is said (`Problems.skip`). Broker.create throws the problems; `wharf config check` also
 * runs the start checks (startChecks) on what could be put together.
 */
import { dirname } from 'node:path';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { ErrorCodes, WharfError, toWharfError } from '../errors.js';
import { ConfigError, type ConfigIssue } from '../config/issues.js';
import { checkAgainstSchema, checkConfig } from '../config/validate.js';
import { DEFAULT_LOW_WATER_RATIO, defaultMemoryHighWaterMark } from '../mqm/flow-control.js';
import { SecurityGate } from '../mqm/security-gate.js';
import type { BrokerConfig, ConfigSource } from '../spi/config.js';
import type { Store } from '../spi/store.js';
import { Tokens } from '../spi/tokens.js';
import { entryLocation, loadPlugin, type LoadedPlugin } from './loader.js';
import { createLogger } from './logger.js';
import { createPluginContext, type LifecycleHooks } from './plugin-context.js';
import { Problems } from './problems.js';
import { checkReferences, chooseStore, mayProvide, type UnloadedPlugin } from './references.js';
import { ProtocolRegistry, QueueTypeRegistry, SecurityRegistry, StoreRegistry } from './registries.js';
import { assertSafeExposure } from './safety.js';
import { isLoopback } from './transports.js';

export interface AssemblyOptions {
  readonly source?: ConfigSource | undefined;
  readonly configDir?: string | undefined;
  readonly logger?: Logger | undefined;
}

/** What the broker is made of, as far as the config allowed. */
export interface Assembly {
  /** The config with every default applied (valid only when `problems` is empty). */
  readonly config: BrokerConfig;
  readonly configDir: string;
  readonly source: ConfigSource | undefined;
  readonly logger: Logger;
  readonly container: DependencyContainer;
  /** The plugins that loaded and registered. */
  readonly plugins: LoadedPlugin[];
  readonly hooks: LifecycleHooks;
  /** Undefined when the registries could not be built (two plugins claiming one name). */
  readonly registries: {
    queueTypes: QueueTypeRegistry; protocols: ProtocolRegistry; stores: StoreRegistry; security: SecurityRegistry;
  } | undefined;
  readonly store: Store | undefined;
  readonly problems: Problems;
  /** Plugins that did not load or register. */
  readonly unloaded: readonly UnloadedPlugin[];
}

export async function assemble(rawConfig: unknown, options: AssemblyOptions = {}): Promise<Assembly> {
  const source = options.source;
  const problems = new Problems(source);
  const { config, issues } = checkConfig(rawConfig);
  problems.add(issues);
  const broken = problems.sectionsWithIssues();
  // The schema's findings alone: the later checks leave out what they cover.
  const schemaProblems = new Problems(source);
  schemaProblems.add(issues);
  const configDir = options.configDir ?? (source?.filepath ? dirname(source.filepath) : process.cwd());
  const logger = options.logger ?? createLogger(broken.has('log') ? 'info' : config.log.level);
  const unloaded: UnloadedPlugin[] = [];

  const loaded = await loadEach(config, configDir, source, problems, unloaded);
  const container = rootContainer.createChildContainer();
  container.register(Tokens.Logger, { useValue: logger });
  container.register(Tokens.Config, { useValue: config });
  const hooks: LifecycleHooks = { start: [], stop: [] };
  const plugins = registerEach(loaded, { container, config, configDir, logger, hooks, source }, problems, unloaded);

  let registries: Assembly['registries'];
  try {
    registries = {
      queueTypes: container.resolve(QueueTypeRegistry),
      protocols: container.resolve(ProtocolRegistry),
      stores: container.resolve(StoreRegistry),
      security: container.resolve(SecurityRegistry),
    };
  } catch (err) {
    problems.addError(toWharfError(err, ErrorCodes.PLUGIN_FAILED, 'a plugin implementation could not be created',
      'check the constructors of the classes the plugins register (their @inject tokens must be registered)'), ['plugins']);
    problems.skip('routing, listeners and store: what they name is not checked, since the plugins could not be put together');
    return { config, configDir, source, logger, container, plugins, hooks, registries: undefined, store: undefined, problems, unloaded };
  }

  const checked = checkReferences(config, registries.queueTypes.types, registries.protocols.adapters, {
    unloaded, hasProblems: (path) => schemaProblems.hasProblemsAt(path),
  });
  problems.add(checked.issues);
  for (const note of checked.notChecked) problems.skip(note);
  let store: Store | undefined;
  if (broken.has('store')) problems.skip('store: which store plugin is used: store has problems above');
  else {
    const chosen = chooseStore(config, registries.stores.stores);
    const candidates = mayProvide(unloaded, 'store');
    if (chosen.issues.length > 0 && candidates !== undefined) {
      problems.skip(`store.use: the store "${config.store.use ?? ''}": no plugin that loaded provides it, and ${candidates} could not be loaded`);
    } else problems.add(chosen.issues);
    store = chosen.store;
  }
  if (broken.has('limits')) problems.skip('limits: the memory watermarks: limits has problems above');
  else problems.add(checkWatermarks(config.limits));
  return { config: checked.config, configDir, source, logger, container, plugins, hooks, registries, store, problems, unloaded };
}

/** Loads every plugin entry that passed the schema, each on its own: one that fails is reported, not fatal. */
async function loadEach(config: BrokerConfig, configDir: string, source: ConfigSource | undefined, problems: Problems, unloaded: UnloadedPlugin[]): Promise<LoadedPlugin[]> {
  const badEntries = new Set(problems.entriesWithIssues('plugins'));
  if (!Array.isArray(config.plugins)) {
    // Nothing loaded: every queue type, protocol or store named may be one of theirs.
    unloaded.push({ label: 'the plugins list' });
    return [];
  }
  const loaded: LoadedPlugin[] = [];
  for (const [index, entry] of config.plugins.entries()) {
    const where = entryLocation(index, source);
    if (badEntries.has(index)) {
      unloaded.push({ label: `plugins[${index}]` });
      continue;
    }
    try {
      loaded.push(await loadPlugin(entry, index, configDir, source));
    } catch (err) {
      problems.addError(toWharfError(err, ErrorCodes.PLUGIN_INVALID, `plugin ${where} could not be loaded`), ['plugins', index], where);
      unloaded.push({ label: `${specifierOf(entry)} (${where})` });
    }
  }
  // The same plugin twice: the second is refused (STOMP listeners would have two adapters).
  const seen = new Map<string, LoadedPlugin>();
  return loaded.filter((plugin) => {
    const earlier = seen.get(plugin.definition.name);
    if (earlier === undefined) {
      seen.set(plugin.definition.name, plugin);
      return true;
    }
    problems.addError(new WharfError(ErrorCodes.PLUGIN_CONFLICT,
      `plugin ${plugin.definition.name} is listed twice (${entryLocation(earlier.index, source)} and ${entryLocation(plugin.index, source)})`, {
        hint: 'list each plugin once', details: { plugin: plugin.definition.name },
      }), ['plugins', plugin.index]);
    return false;
  });
}

function specifierOf(entry: unknown): string {
  if (typeof entry === 'string') return entry;
  const use = (entry as { use?: unknown } | null)?.use;
  if (typeof use === 'string') return use;
  const name = ((use ?? entry) as { name?: unknown } | null)?.name;
  return typeof name === 'string' ? name : 'a plugin';
}

interface RegisterContext {
  readonly container: DependencyContainer;
  readonly config: BrokerConfig;
  readonly configDir: string;
  readonly logger: Logger;
  readonly hooks: LifecycleHooks;
  readonly source: ConfigSource | undefined;
}

/**
 * Checks each plugin's options against its schema (issues at the option's own line), then lets
 * the plugins whose options are right register. Returns the plugins that registered.
 */
function registerEach(loaded: readonly LoadedPlugin[], ctx: RegisterContext, problems: Problems, unloaded: UnloadedPlugin[]): LoadedPlugin[] {
  const registered: LoadedPlugin[] = [];
  for (const plugin of loaded) {
    const name = plugin.definition.name;
    const where = entryLocation(plugin.index, ctx.source);
    const entryPath = ['plugins', plugin.index] as const;
    let options = plugin.options;
    const schema = plugin.definition.optionsSchema;
    if (schema) {
      let checked: { value: unknown; issues: ConfigIssue[] };
      try {
        checked = checkAgainstSchema(schema, plugin.options, [...entryPath, 'options'], `options of plugin ${name}`);
      } catch (err) {
        problems.addError(toWharfError(err, ErrorCodes.PLUGIN_INVALID, `plugin ${name} has an invalid options schema`), [...entryPath]);
        unloaded.push({ label: `${name} (${where})`, kind: plugin.definition.kind });
        continue;
      }
      if (checked.issues.length > 0) {
        problems.add(checked.issues);
        unloaded.push({ label: `${name} (${where}: its options have problems above)`, kind: plugin.definition.kind });
        continue;
      }
      options = checked.value as Record<string, unknown>;
    }
    const pluginCtx = createPluginContext(name, options, ctx.container, ctx.config, ctx.configDir, ctx.logger.child({ plugin: name }), ctx.hooks);
    try {
      const result: unknown = plugin.definition.register(pluginCtx as never);
      if (result instanceof Promise) throw new Error('register() returned a promise; do asynchronous work in ctx.onStart()');
      registered.push({ ...plugin, options });
    } catch (err) {
      if (err instanceof ConfigError && err.issues.every((issue) => issue.path[0] === 'options')) {
        // Paths relative to the plugin's entry (['options', 'rules', 0, 'match']): placed in the config file.
        problems.add(err.issues.map((issue) => ({ ...issue, path: [...entryPath, ...issue.path], line: undefined, column: undefined })));
      } else problems.addError(pluginFailure(err, name, 'register', where), [...entryPath], where);
      unloaded.push({ label: `${name} (${where})`, kind: plugin.definition.kind });
    }
  }
  return registered;
}

/**
 * What start() checks before anything opens, on what could be put together: each plugin's start
 * hook (security plugins load their files there; one failing does not skip the others), then the
 * exposure check (docs/security.md, "Safe by default") unless what it depends on has problems.
 * The stop hooks run afterwards. For `wharf config check`; start() runs the same, stopping at the first.
 */
export async function startChecks(assembly: Assembly): Promise<void> {
  const { problems, hooks, registries, config } = assembly;
  const failed: string[] = [];
  for (const { plugin, hook } of hooks.start) {
    try {
      await hook();
    } catch (err) {
      const index = assembly.plugins.find((p) => p.definition.name === plugin)?.index;
      // A file the plugin reads (users, rules) with problems: each problem with its own file and line.
      const fileProblems = err instanceof ConfigError && err.file !== undefined && err.issues.length > 0;
      problems.addError(fileProblems ? err : pluginFailure(err, plugin, 'start'), index === undefined ? ['plugins'] : ['plugins', index]);
      failed.push(plugin);
    }
  }
  const broken = problems.sectionsWithIssues();
  const listeners = Array.isArray(config.listeners) ? config.listeners : undefined;
  const hostsKnown = listeners !== undefined
    && listeners.every((l, i) => typeof l?.host === 'string' && !problems.hasProblemsAt(['listeners', i, 'host']));
  const securityUnloaded = assembly.unloaded.filter((p) => p.kind === undefined || p.kind === 'security' || p.kind === 'extension');
  const notStarted = [...securityUnloaded.map((p) => p.label), ...failed];
  const blockers = [
    ...(hostsKnown ? [] : ['the listeners\' hosts have problems above']),
    ...(broken.has('security') ? ['security has problems above'] : []),
    ...(notStarted.length > 0 ? [`plugins that may decide security did not load or start (${notStarted.join(', ')})`] : []),
    ...(registries === undefined ? ['the plugins could not be put together'] : []),
  ];
  if (hostsKnown && listeners.every((l) => isLoopback(l.host))) {
    // Every listener is on loopback: the exposure check has nothing to refuse.
  } else if (blockers.length > 0) {
    problems.skip(`the exposure check (anonymous clients with rights on a listener reachable from other machines): ${blockers.join('; ')}`);
  } else if (registries !== undefined) {
    const { authenticators, authorizers } = registries.security;
    const gate = new SecurityGate(authenticators, authorizers, assembly.logger.child({ component: 'security' }));
    try {
      await assertSafeExposure(config, gate, { authenticators, authorizers, plugins: assembly.plugins, source: assembly.source });
    } catch (err) {
      if (!(err instanceof WharfError)) throw err;
      problems.addError(err, ['listeners']);
    }
  }
  for (const { plugin, hook } of [...hooks.stop].reverse()) {
    try {
      await hook();
    } catch (err) {
      assembly.logger.error({ err, plugin }, 'plugin failed to stop');
    }
  }
}

/** The memory alarm's watermarks, defaults applied (docs/configuration.md "limits"). */
export function memoryWatermarks(limits: BrokerConfig['limits']): { highWaterMark: number; lowWaterMark: number } {
  const highWaterMark = limits.memoryHighWaterMark ?? defaultMemoryHighWaterMark();
  return { highWaterMark, lowWaterMark: limits.memoryLowWaterMark ?? Math.floor(highWaterMark * DEFAULT_LOW_WATER_RATIO) };
}

function checkWatermarks(limits: BrokerConfig['limits']): ConfigIssue[] {
  const { highWaterMark, lowWaterMark } = memoryWatermarks(limits);
  if (highWaterMark === 0 || lowWaterMark < highWaterMark) return [];
  return [{
    path: ['limits', 'memoryLowWaterMark'],
    message: `limits.memoryLowWaterMark (${lowWaterMark}) must be below limits.memoryHighWaterMark (${highWaterMark})`,
    hint: 'publishers are paused at the high-watermark and resumed below the low one: leave a gap between them (the default low-watermark is 80% of the high one)',
  }];
}

export function pluginFailure(err: unknown, plugin: string, phase: 'register' | 'start', where?: string): WharfError {
  const reason = err instanceof Error ? err.message : String(err);
  return new WharfError(ErrorCodes.PLUGIN_FAILED, `plugin ${plugin}${where ? ` (${where})` : ''} failed to ${phase}: ${reason}`, {
    cause: err,
    hint: `fix the plugin's ${phase === 'register' ? 'options or installation' : 'environment (files, ports, services it needs)'}, or remove it from plugins`,
    details: { plugin, phase },
  });
}
