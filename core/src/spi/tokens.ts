/**
 * Every DI token core defines, in one place. Plugins register under these through PluginContext.
 * They are registry symbols (`Symbol.for`), like the plugin brand: a plugin that brings its own
 * copy of @wharf/core gets the same tokens as the broker's copy. Never rename one: the key is the contract.
 */
import type { InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { BrokerConfig } from './config.js';
import type { QueueType } from './queue.js';
import type { Authenticator, Authorizer } from './security.js';
import type { ProtocolAdapter } from './protocol.js';
import type { Store } from './store.js';

export const Tokens = {
  QueueType: Symbol.for('wharf.QueueType') as InjectionToken<QueueType>,
  Authenticator: Symbol.for('wharf.Authenticator') as InjectionToken<Authenticator>,
  Authorizer: Symbol.for('wharf.Authorizer') as InjectionToken<Authorizer>,
  ProtocolAdapter: Symbol.for('wharf.ProtocolAdapter') as InjectionToken<ProtocolAdapter>,
  Store: Symbol.for('wharf.Store') as InjectionToken<Store>,
  Logger: Symbol.for('wharf.Logger') as InjectionToken<Logger>,
  Config: Symbol.for('wharf.Config') as InjectionToken<BrokerConfig>,
  /**
   * This broker process's node id, the node part of every message id (1 to 4 characters of
   * [0-9a-z]). A plugin that must set it (a cluster plugin numbering its nodes) registers a value in
   * register(): `ctx.provide(Tokens.NodeId, 'n1')`. Otherwise BrokerOptions.nodeId, else random.
   */
  NodeId: Symbol.for('wharf.NodeId') as InjectionToken<string>,
} as const;
