/** Every DI token core defines, in one place. Plugins register under these through PluginContext. */
import type { InjectionToken } from 'tsyringe';
import type { Logger } from 'pino';
import type { BrokerConfig } from './config.js';
import type { QueueType } from './queue.js';
import type { Authenticator, Authorizer } from './security.js';
import type { ProtocolAdapter } from './protocol.js';
import type { Store } from './store.js';

export const Tokens = {
  QueueType: Symbol('wharf.QueueType') as InjectionToken<QueueType>,
  Authenticator: Symbol('wharf.Authenticator') as InjectionToken<Authenticator>,
  Authorizer: Symbol('wharf.Authorizer') as InjectionToken<Authorizer>,
  ProtocolAdapter: Symbol('wharf.ProtocolAdapter') as InjectionToken<ProtocolAdapter>,
  Store: Symbol('wharf.Store') as InjectionToken<Store>,
  Logger: Symbol('wharf.Logger') as InjectionToken<Logger>,
  Config: Symbol('wharf.Config') as InjectionToken<BrokerConfig>,
} as const;
