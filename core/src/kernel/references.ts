/**
 * The second and third layers of config checking, once plugins are loaded: names that refer to
 * plugins (queue types, protocols) must exist, and settings must fit the schema of the plugin
 * they go to. Every problem is collected, then reported at once. When some plugins could not be
 * loaded, a name no loaded plugin provides may be theirs: it is listed as not checked (with the
 * options that go with it), not reported as unknown.
 */
import { closest } from 'fastest-levenshtein';
import { formatPath, type ConfigIssue } from '../config/issues.js';
import { checkAgainstSchema } from '../config/validate.js';
import type { BrokerConfig } from '../spi/config.js';
import type { PluginKind } from '../spi/plugin.js';
import type { ProtocolAdapter } from '../spi/protocol.js';
import type { QueueType } from '../spi/queue.js';
import type { Store } from '../spi/store.js';
import { REJECT } from '../routing/router.js';

function unknownName(kind: string, name: string, known: readonly string[], path: ConfigIssue['path'], extra = ''): ConfigIssue {
  const suggestion = known.length > 0 ? closest(name, [...known]) : undefined;
  const list = known.length > 0 ? known.join(', ') : 'none (no plugin provides one)';
  return {
    path,
    message: `unknown ${kind} "${name}"`,
    expected: `one of: ${list}${extra}`,
    hint: suggestion && suggestion !== name
      ? `did you mean "${suggestion}"? Otherwise add the plugin that provides "${name}" to plugins`
      : `add the plugin that provides "${name}" to plugins`,
  };
}

/** A plugin that did not load or register: `label` names it and its place; `kind` when it is known. */
export interface UnloadedPlugin {
  readonly label: string;
  readonly kind?: PluginKind | undefined;
}

const KIND_OF: Record<string, PluginKind> = { 'queue type': 'queue-type', protocol: 'protocol', store: 'store' };

/** The unloaded plugins that may provide a `what` (a queue type, a protocol, a store), as text; undefined when none may. */
export function mayProvide(unloaded: readonly UnloadedPlugin[], what: string): string | undefined {
  const candidates = unloaded.filter((p) => p.kind === undefined || p.kind === 'extension' || p.kind === KIND_OF[what]);
  return candidates.length > 0 ? candidates.map((p) => p.label).join(', ') : undefined;
}

/** What the checks must leave out: plugins that did not load, sections whose schema check failed. */
export interface ReferenceContext {
  /** Plugins that could not be loaded or registered: an unknown name may be theirs. */
  readonly unloaded?: readonly UnloadedPlugin[];
  /** Whether the value at a path (or around it) has schema problems: such entries are not checked here. */
  readonly hasProblems?: (path: ConfigIssue['path']) => boolean;
}

export interface CheckedReferences {
  readonly issues: ConfigIssue[];
  /** Checks left out, each with why. */
  readonly notChecked: string[];
  /** The config with rule settings and listener options validated and their defaults applied. */
  readonly config: BrokerConfig;
}

/** Collects issues and notes; `unknown` decides whether an unknown name is a problem or a note. */
class Report {
  readonly issues: ConfigIssue[] = [];
  readonly notChecked: string[] = [];
  constructor(private readonly unloaded: readonly UnloadedPlugin[], readonly hasProblems: (path: ConfigIssue['path']) => boolean) {}

  /** An unknown name: a problem, unless a plugin that did not load may provide it. */
  unknown(kind: string, name: string, known: readonly string[], path: ConfigIssue['path'], extra = '', alsoSkipped = ''): void {
    const candidates = mayProvide(this.unloaded, kind);
    if (candidates === undefined) {
      this.issues.push(unknownName(kind, name, known, path, extra));
      return;
    }
    const nearest = known.length > 0 ? closest(name, [...known]) : undefined;
    this.notChecked.push(`${formatPath(path)}: the ${kind} "${name}"${alsoSkipped}: no plugin that loaded provides it, and ` +
      `${candidates} could not be loaded${nearest && nearest !== name ? ` (or did you mean "${nearest}"?)` : ''}`);
  }
}

/** Problems with routing and listener entries given the loaded plugins. */
export function checkReferences(
  config: BrokerConfig,
  queueTypes: ReadonlyMap<string, QueueType>,
  protocols: ReadonlyMap<string, ProtocolAdapter>,
  context: ReferenceContext = {},
): CheckedReferences {
  const report = new Report(context.unloaded ?? [], context.hasProblems ?? (() => false));
  const skipped = (section: 'routing' | 'listeners', what: string, wellFormed: boolean): boolean => {
    // The section itself is malformed (not a mapping or list): nothing in it can be checked.
    if (wellFormed) return false;
    report.notChecked.push(`${section}: ${what}: ${section} has problems above`);
    return true;
  };
  const routing = config.routing as Partial<BrokerConfig['routing']> | null;
  const routingWellFormed = isRecord(routing) && Array.isArray(routing.rules) && isRecord(routing.prefixes);
  const rules = skipped('routing', 'the queue types it names', routingWellFormed) ? config.routing?.rules ?? [] : checkRouting(config.routing, queueTypes, report);
  const listenersWellFormed = Array.isArray(config.listeners) && config.listeners.every((l) => isRecord(l));
  const listeners = skipped('listeners', 'the protocols they name and their options', listenersWellFormed)
    ? config.listeners : checkListeners(config.listeners, protocols, report);
  return { issues: report.issues, notChecked: report.notChecked, config: { ...config, routing: { ...config.routing, rules }, listeners } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Each queue type named exists; rule settings fit it. Returns the rules with their settings' defaults. */
function checkRouting(routing: BrokerConfig['routing'], queueTypes: ReadonlyMap<string, QueueType>, report: Report): BrokerConfig['routing']['rules'] {
  const typeNames = [...queueTypes.keys()];
  const checkType = (type: string, path: ConfigIssue['path'], extra = '', alsoSkipped = ''): QueueType | undefined => {
    const queueType = queueTypes.get(type);
    if (queueType === undefined) report.unknown('queue type', type, typeNames, path, extra, alsoSkipped);
    return queueType;
  };
  const rules = routing.rules.map((rule, index) => {
    if (report.hasProblems(['routing', 'rules', index])) return rule;
    const queueType = checkType(rule.type, ['routing', 'rules', index, 'type'], '', rule.options ? ' and the settings of this rule' : '');
    if (queueType?.settingsSchema) {
      const checked = checkAgainstSchema(queueType.settingsSchema, rule.options, ['routing', 'rules', index, 'options'],
        `settings of queue type ${queueType.type}`);
      report.issues.push(...checked.issues);
      return { ...rule, options: checked.value as Record<string, unknown> };
    }
    if (queueType && rule.options && Object.keys(rule.options).length > 0) {
      report.issues.push({
        path: ['routing', 'rules', index, 'options'],
        message: `queue type ${queueType.type} takes no settings`,
        hint: 'remove options from this rule',
      });
    }
    return rule;
  });
  for (const [prefix, type] of Object.entries(routing.prefixes)) {
    if (!report.hasProblems(['routing', 'prefixes', prefix])) checkType(type, ['routing', 'prefixes', prefix]);
  }
  if (routing.fallback !== REJECT && !report.hasProblems(['routing', 'fallback'])) checkType(routing.fallback, ['routing', 'fallback'], `, or ${REJECT}`);
  return rules;
}

/** Each protocol named exists; listener options fit it; no two listeners share a port. Returns the listeners with defaults. */
function checkListeners(listeners: BrokerConfig['listeners'], protocols: ReadonlyMap<string, ProtocolAdapter>, report: Report): BrokerConfig['listeners'] {
  const protocolNames = [...protocols.keys()];
  const ports = new Map<string, number>();
  return listeners.map((listener, index) => {
    if (report.hasProblems(['listeners', index])) return listener;
    if (listener.port !== 0) {
      const key = `${listener.host}:${listener.port}`;
      const other = ports.get(key);
      if (other !== undefined) {
        report.issues.push({ path: ['listeners', index, 'port'], message: `listeners[${other}] already uses ${key}`, hint: 'give each listener its own port' });
      } else ports.set(key, index);
    }
    const adapter = protocols.get(listener.protocol);
    if (adapter === undefined) {
      report.unknown('protocol', listener.protocol, protocolNames, ['listeners', index, 'protocol'], '', ' and the options of this listener');
      return listener;
    }
    if (!adapter.listenerOptionsSchema) return listener;
    const checked = checkAgainstSchema(adapter.listenerOptionsSchema, listener.options, ['listeners', index, 'options'],
      `options of protocol ${adapter.protocol}`);
    report.issues.push(...checked.issues);
    return { ...listener, options: checked.value as Record<string, unknown> };
  });
}

/**
 * The store the broker uses: the one `store.use` names, else the only store plugin loaded, else
 * none (durable messages in memory only). Problems are returned as issues.
 */
export function chooseStore(config: BrokerConfig, stores: ReadonlyMap<string, Store>): { store: Store | undefined; issues: ConfigIssue[] } {
  const names = [...stores.keys()];
  const use = config.store.use;
  if (use !== undefined) {
    const store = stores.get(use);
    if (store !== undefined) return { store, issues: [] };
    const issue = unknownName('store', use, names, ['store', 'use']);
    const suggestion = names.length > 0 ? closest(use, names) : undefined;
    return {
      store: undefined,
      issues: [{
        ...issue,
        hint: suggestion !== undefined
          ? `did you mean "${suggestion}"? Otherwise add the plugin that provides the store "${use}" to plugins`
          : `add a store plugin to plugins, e.g. { use: "@wharf/store-sqlite", options: { path: ./data/wharf.db } }`,
      }],
    };
  }
  if (names.length > 1) {
    return {
      store: undefined,
      issues: [{ path: ['store'], message: `several store plugins are loaded (${names.join(', ')})`, expected: 'store.use naming one of them', hint: `add store: { use: ${names[0]} } (or remove the other store plugins)` }],
    };
  }
  return { store: names.length === 1 ? stores.get(names[0]!) : undefined, issues: [] };
}
