/**
 * Plugins. A plugin module default-exports `definePlugin({ kind, name, core, optionsSchema }, register)`.
 * `register` runs synchronously once per broker, with that broker's own DI container, and wires the
 * plugin's implementations in; asynchronous work goes into `ctx.onStart` / `ctx.onStop`.
 */
import type { Logger } from 'pino';
import type { DependencyContainer, InjectionToken } from 'tsyringe';
import type { BrokerConfig } from './config.js';
import type { QueueType } from './queue.js';
import type { Authenticator, Authorizer } from './security.js';
import type { ProtocolAdapter } from './protocol.js';
import type { Store } from './store.js';

/** A JSON Schema (draft-07, as ajv's default validator reads it). */
export type JsonSchema = Record<string, unknown>;

export type PluginKind = 'queue-type' | 'security' | 'protocol' | 'store' | 'extension';
export const PLUGIN_KINDS: readonly PluginKind[] = ['queue-type', 'security', 'protocol', 'store', 'extension'];

export interface PluginMeta {
  readonly kind: PluginKind;
  /** Unique among the loaded plugins; used in error messages and logs. */
  readonly name: string;
  /** The @wharf/core versions this plugin works with, as a semver range (`^0.1.0`). */
  readonly core: string;
  /** JSON Schema of the plugin's `options` in the config file. */
  readonly optionsSchema?: JsonSchema;
  readonly description?: string;
}

/** A class whose constructor the container can resolve (decorated with `@injectable()`). */
export type Constructor<T> = new (...args: never[]) => T;
export type Provider<T> = T | Constructor<T>;

export interface PluginContext<Options = Record<string, unknown>> {
  /** The plugin's options, validated against its optionsSchema (defaults applied). */
  readonly options: Options;
  readonly logger: Logger;
  /** This broker's child container. Resolve or register your own services here. */
  readonly container: DependencyContainer;
  /** The whole (validated) broker config, read-only. */
  readonly config: Readonly<BrokerConfig>;
  /** The config file's folder: resolve relative paths in options against it. */
  readonly configDir: string;
  queueType(provider: Provider<QueueType>): void;
  authenticator(provider: Provider<Authenticator>): void;
  authorizer(provider: Provider<Authorizer>): void;
  protocol(provider: Provider<ProtocolAdapter>): void;
  store(provider: Provider<Store>): void;
  /** Runs after every plugin registered, before listeners open; a throw stops the start. */
  onStart(hook: () => void | Promise<void>): void;
  /** Runs when the broker stops, in reverse order of registration. */
  onStop(hook: () => void | Promise<void>): void;
  /** Registers a value or class under a token of the plugin's own. */
  provide<T>(token: InjectionToken<T>, provider: Provider<T>): void;
}

export type RegisterFn<Options> = (ctx: PluginContext<Options>) => void;

/** Brand that lets core recognise definitions made by another copy of @wharf/core. */
export const PLUGIN_BRAND: unique symbol = Symbol.for('wharf.plugin-definition') as never;

export interface PluginDefinition<Options = Record<string, unknown>> extends PluginMeta {
  readonly [PLUGIN_BRAND]: true;
  readonly register: RegisterFn<Options>;
}

export function definePlugin<Options = Record<string, unknown>>(
  meta: PluginMeta,
  register: RegisterFn<Options>,
): PluginDefinition<Options> {
  return Object.freeze({ ...meta, register, [PLUGIN_BRAND]: true as const });
}

export function isPluginDefinition(value: unknown): value is PluginDefinition<unknown> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLUGIN_BRAND] === true;
}
