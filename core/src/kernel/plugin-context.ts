/** The PluginContext a plugin's register() receives: its options, and ways to wire itself in. */
import type { Logger } from 'pino';
import { instanceCachingFactory, type DependencyContainer, type InjectionToken } from 'tsyringe';
import type { BrokerConfig } from '../spi/config.js';
import type { Constructor, PluginContext, Provider } from '../spi/plugin.js';
import { Tokens } from '../spi/tokens.js';

export interface LifecycleHooks {
  readonly start: Array<{ plugin: string; hook: () => void | Promise<void> }>;
  readonly stop: Array<{ plugin: string; hook: () => void | Promise<void> }>;
}

function isConstructor<T>(provider: Provider<T>): provider is Constructor<T> {
  return typeof provider === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(provider));
}

export function createPluginContext(
  pluginName: string,
  options: Record<string, unknown>,
  container: DependencyContainer,
  config: BrokerConfig,
  configDir: string,
  logger: Logger,
  hooks: LifecycleHooks,
): PluginContext<Record<string, unknown>> {
  const provide = <T>(token: InjectionToken<T>, provider: Provider<T>): void => {
    if (isConstructor(provider)) {
      // One instance per broker: resolved lazily in this container, cached by it.
      const cls = provider as unknown as new (...args: unknown[]) => T;
      container.register(token, { useFactory: instanceCachingFactory((c) => c.resolve(cls)) });
    } else {
      container.register(token, { useValue: provider as T });
    }
  };
  return {
    options,
    logger,
    container,
    config,
    configDir,
    queueType: (p) => provide(Tokens.QueueType, p),
    authenticator: (p) => provide(Tokens.Authenticator, p),
    authorizer: (p) => provide(Tokens.Authorizer, p),
    protocol: (p) => provide(Tokens.ProtocolAdapter, p),
    store: (p) => provide(Tokens.Store, p),
    onStart: (hook) => void hooks.start.push({ plugin: pluginName, hook }),
    onStop: (hook) => void hooks.stop.push({ plugin: pluginName, hook }),
    provide,
  };
}
