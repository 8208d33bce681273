/**
 * The second and third layers of config checking, once plugins are loaded: names that refer to
 * plugins (queue types, protocols) must exist, and settings must fit the schema of the plugin
 * they go to. Every problem is collected, then reported at once.
 */
import { closest } from 'fastest-levenshtein';
import type { ConfigIssue } from '../config/issues.js';
import { checkAgainstSchema } from '../config/validate.js';
import type { BrokerConfig } from '../spi/config.js';
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

export interface CheckedReferences {
  readonly issues: ConfigIssue[];
  /** The config with rule settings and listener options validated and their defaults applied. */
  readonly config: BrokerConfig;
}

/** Problems with routing, pubsub and listener entries given the loaded plugins. */
export function checkReferences(
  config: BrokerConfig,
  queueTypes: ReadonlyMap<string, QueueType>,
  protocols: ReadonlyMap<string, ProtocolAdapter>,
): CheckedReferences {
  const issues: ConfigIssue[] = [];
  const rules = [...config.routing.rules];
  const listeners = [...config.listeners];
  const typeNames = [...queueTypes.keys()];
  const checkType = (type: string, path: ConfigIssue['path'], extra = ''): QueueType | undefined => {
    const queueType = queueTypes.get(type);
    if (queueType === undefined) issues.push(unknownName('queue type', type, typeNames, path, extra));
    return queueType;
  };

  config.routing.rules.forEach((rule, index) => {
    const queueType = checkType(rule.type, ['routing', 'rules', index, 'type']);
    if (queueType?.settingsSchema) {
      const checked = checkAgainstSchema(queueType.settingsSchema, rule.options, ['routing', 'rules', index, 'options'],
        `settings of queue type ${queueType.type}`);
      issues.push(...checked.issues);
      rules[index] = { ...rule, options: checked.value as Record<string, unknown> };
    } else if (queueType && !queueType.settingsSchema && rule.options && Object.keys(rule.options).length > 0) {
      issues.push({
        path: ['routing', 'rules', index, 'options'],
        message: `queue type ${queueType.type} takes no settings`,
        hint: 'remove options from this rule',
      });
    }
  });
  for (const [prefix, type] of Object.entries(config.routing.prefixes)) {
    checkType(type, ['routing', 'prefixes', prefix]);
  }
  if (config.routing.fallback !== REJECT) checkType(config.routing.fallback, ['routing', 'fallback'], `, or ${REJECT}`);

  const protocolNames = [...protocols.keys()];
  const ports = new Map<string, number>();
  config.listeners.forEach((listener, index) => {
    const adapter = protocols.get(listener.protocol);
    if (adapter === undefined) {
      issues.push(unknownName('protocol', listener.protocol, protocolNames, ['listeners', index, 'protocol']));
    } else if (adapter.listenerOptionsSchema) {
      const checked = checkAgainstSchema(adapter.listenerOptionsSchema, listener.options, ['listeners', index, 'options'],
        `options of protocol ${adapter.protocol}`);
      issues.push(...checked.issues);
      listeners[index] = { ...listener, options: checked.value as Record<string, unknown> };
    }
    if (listener.port !== 0) {
      const key = `${listener.host}:${listener.port}`;
      const other = ports.get(key);
      if (other !== undefined) {
        issues.push({ path: ['listeners', index, 'port'], message: `listeners[${other}] already uses ${key}`, hint: 'give each listener its own port' });
      } else ports.set(key, index);
    }
  });
  return { issues, config: { ...config, routing: { ...config.routing, rules }, listeners } };
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
