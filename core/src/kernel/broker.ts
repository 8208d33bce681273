/**
 * The broker's lifecycle. create(): validate the config, load every plugin, let each register into
 * this broker's own child container, check cross-references and plugin options (assembly.ts: every
 * problem is reported at once).
 * start(): plugin start hooks, the safe-exposure check, configured pubsubs, then listeners last.
 * stop(): the reverse.
 * Each Broker has its own container, so two brokers in one process share nothing.
 */
import 'reflect-metadata';
import type { DependencyContainer } from 'tsyringe';
import type { Logger } from 'pino';
import { resolve } from 'node:path';
import { ErrorCodes, WharfError, toWharfError } from '../errors.js';
import { ConfigError } from '../config/issues.js';
import { Durability } from '../mqm/durability.js';
import { FlowController, defaultMemoryHighWaterMark } from '../mqm/flow-control.js';
import { PageDirectory, defaultPageOutBytes } from '../mqm/pager.js';
import { IdMinter } from '../mqm/id-minter.js';
import { MessageQueueManager } from '../mqm/message-queue-manager.js';
import { SecurityGate } from '../mqm/security-gate.js';
import { Router } from '../routing/router.js';
import type { BrokerConfig, ConfigSource } from '../spi/config.js';
import type { Store } from '../spi/store.js';
import { Tokens } from '../spi/tokens.js';
import { CORE_VERSION } from '../version.js';
import { assemble, memoryWatermarks, pluginFailure, startChecks } from './assembly.js';
import { SharedInputBudget, defaultInputBufferBytes } from './input-budget.js';
import type { LoadedPlugin } from './loader.js';
import type { LifecycleHooks } from './plugin-context.js';
import type { ProtocolRegistry, QueueTypeRegistry, SecurityRegistry, StoreRegistry } from './registries.js';
import { ConnectionGovernor } from './connection-limits.js';
import { assertSafeExposure } from './safety.js';
import { openSocketListener, type OpenListener } from './transports.js';
import { openWebSocketListener } from './websocket.js';

export interface BrokerOptions {
  /** Where the config came from: its file names errors and anchors relative plugin paths. */
  readonly source?: ConfigSource;
  /** Folder for relative paths when there is no file (defaults to the process's cwd). */
  readonly configDir?: string;
  readonly logger?: Logger;
  /** Reads the process's resident memory for the memory alarm (tests give their own). */
  readonly memory?: () => number;
  /**
   * The node part of every message id (1 to 4 characters of [0-9a-z]); a plugin that registers
   * Tokens.NodeId overrides it; default random, fixed for the broker's life.
   */
  readonly nodeId?: string;
}

type State = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

export class Broker {
  readonly config: BrokerConfig;
  readonly container: DependencyContainer;
  readonly mqm: MessageQueueManager;
  readonly router: Router;
  readonly logger: Logger;
  readonly plugins: readonly LoadedPlugin[];
  readonly queueTypes: QueueTypeRegistry;
  readonly protocols: ProtocolRegistry;
  readonly stores: StoreRegistry;
  /** The durable store's writer (group commit); undefined when no store is configured. */
  readonly durability: Durability | undefined;
  /** Producer flow control: the memory alarm (docs/performance.md "Flow control"). */
  readonly flow: FlowController;
  /** Connection limits per address and per state (`limits.connections`); `connections.stats()` counts refusals. */
  readonly connections: ConnectionGovernor;
  /** Bytes held in unfinished input frames, across all connections (limits.inputBufferBytes). */
  readonly inputBudget: SharedInputBudget;
  /** Where queues page their backlog out (with a store only). */
  readonly pages: PageDirectory | undefined;
  private storeOpen = false;
  private readonly hooks: LifecycleHooks;
  private readonly security: SecurityGate;
  /** The security plugins' implementations, for the safety check to name the settings at fault. */
  private readonly securityPlugins: SecurityRegistry;
  private readonly configDir: string;
  private readonly source: ConfigSource | undefined;
  private openListeners: OpenListener[] = [];
  private state: State = 'created';
  private connectionCounter = 0;

  private constructor(init: {
    config: BrokerConfig; container: DependencyContainer; logger: Logger; plugins: LoadedPlugin[];
    hooks: LifecycleHooks; configDir: string; source: ConfigSource | undefined; queueTypes: QueueTypeRegistry; protocols: ProtocolRegistry;
    stores: StoreRegistry; security: SecurityRegistry; store: Store | undefined; memory: (() => number) | undefined;
    nodeId: string | undefined;
  }) {
    this.config = init.config;
    this.container = init.container;
    this.logger = init.logger;
    this.plugins = init.plugins;
    this.hooks = init.hooks;
    this.configDir = init.configDir;
    this.source = init.source;
    this.queueTypes = init.queueTypes;
    this.protocols = init.protocols;
    this.stores = init.stores;
    this.router = new Router(init.config.routing);
    this.durability = init.store
      ? new Durability(init.store, init.logger.child({ component: 'store', store: init.store.name }), { groupCommit: init.config.store.groupCommit })
      : undefined;
    this.securityPlugins = init.security;
    this.security = new SecurityGate(init.security.authenticators, init.security.authorizers, init.logger.child({ component: 'security' }));
    const { highWaterMark, lowWaterMark } = memoryWatermarks(init.config.limits);
    this.flow = new FlowController({
      highWaterMark, lowWaterMark, logger: init.logger.child({ component: 'flow' }), ...(init.memory ? { memory: init.memory } : {}),
    });
    this.connections = new ConnectionGovernor(init.config.limits.connections, init.logger.child({ component: 'connections' }));
    this.inputBudget = new SharedInputBudget(init.config.limits.inputBufferBytes ?? defaultInputBufferBytes(highWaterMark));
    this.pages = this.durability
      ? new PageDirectory(init.config.store.pageDirectory === undefined ? undefined : resolve(init.configDir, init.config.store.pageDirectory),
        defaultPageOutBytes(highWaterMark > 0 ? highWaterMark : defaultMemoryHighWaterMark()), init.logger.child({ component: 'pager' }))
      : undefined;
    this.mqm = new MessageQueueManager({
      flow: this.flow,
      connections: this.connections,
      inputBudget: this.inputBudget,
      ...(this.pages ? { pages: this.pages } : {}),
      router: this.router,
      queueTypes: init.queueTypes.types,
      security: this.security,
      logger: init.logger.child({ component: 'mqm' }),
      limits: init.config.limits,
      version: CORE_VERSION,
      minter: new IdMinter(init.nodeId === undefined ? {} : { nodeId: init.nodeId }),
      ...(this.durability ? { durability: this.durability } : {}),
    });
  }

  /**
   * Validates the config and loads the plugins; opens nothing. Every problem found is reported at
   * once (assembly.ts): throws a ConfigError listing them, or the one plugin error when it is alone.
   */
  static async create(rawConfig: unknown, options: BrokerOptions = {}): Promise<Broker> {
    const assembly = await assemble(rawConfig, options);
    assembly.problems.throwIfAny();
    const { config, container, logger, plugins, hooks, configDir, source, store } = assembly;
    const { queueTypes, protocols, stores, security } = assembly.registries!;
    return new Broker({
      config, container, logger, plugins, hooks, configDir, source, queueTypes, protocols, stores, security, store, memory: options.memory,
      nodeId: container.isRegistered(Tokens.NodeId) ? container.resolve(Tokens.NodeId) : options.nodeId,
    });
  }

  /**
   * What `wharf config check` checks, in one run, opening nothing: everything create() checks, then
   * the plugins' start hooks (users and ACL files load there) and the exposure check, each going as
   * far as the problems before it allow.
   * @throws the problems found (a ConfigError listing all of them, or the one plugin error when it
   *   is alone), saying which checks they kept from running.
   */
  static async checkConfig(rawConfig: unknown, options: BrokerOptions = {}): Promise<void> {
    const assembly = await assemble(rawConfig, options);
    await startChecks(assembly);
    assembly.problems.throwIfAny();
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** The listeners that are open, with their bound addresses (port 0 resolved). */
  get listeners(): readonly OpenListener[] {
    return this.openListeners;
  }

  async start(): Promise<void> {
    this.beginStarting('start');
    try {
      await this.runChecks();
      await this.openStore();
      this.createConfiguredPubsubs();
      this.flow.start();
      await this.openAllListeners();
      this.state = 'running';
      if (this.openListeners.length === 0) this.logger.info('broker ready (no listeners configured)');
      else this.logger.info({ listeners: this.openListeners.map((l) => l.url) }, 'broker ready');
    } catch (err) {
      await this.shutdown();
      throw err;
    }
  }

  /**
   * What start() checks before it opens anything, without opening the store or a port: the
   * plugins' start hooks (security plugins load their files there) and the exposure check (safe
   * by default). The broker is stopped afterwards. `wharf config check` uses it.
   */
  async check(): Promise<void> {
    this.beginStarting('check');
    try {
      await this.runChecks();
    } finally {
      await this.shutdown();
    }
  }

  /** A broker starts (or is checked) once, from `created`. */
  private beginStarting(verb: 'start' | 'check'): void {
    if (this.state !== 'created') throw new WharfError(ErrorCodes.CLOSED, `cannot ${verb} a broker that is ${this.state}`);
    this.state = 'starting';
  }

  /** What start() and check() both run before anything opens: the start hooks, then the exposure check. */
  private async runChecks(): Promise<void> {
    await this.runStartHooks();
    // After the start hooks (security plugins load their files there), before any port opens.
    await assertSafeExposure(this.config, this.security, {
      authenticators: this.securityPlugins.authenticators, authorizers: this.securityPlugins.authorizers, plugins: this.plugins, source: this.source,
    });
  }


  private async runStartHooks(): Promise<void> {
    for (const { plugin, hook } of this.hooks.start) {
      try {
        await hook();
      } catch (err) {
        throw pluginFailure(err, plugin, 'start');
      }
    }
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'stopping') return;
    await this.shutdown();
    this.logger.info('broker stopped');
  }

  private createConfiguredPubsubs(): void {
    for (const [name, { children }] of Object.entries(this.config.pubsub)) {
      try {
        // Made from the config at every start: not recorded in the store (children added later by command are).
        this.mqm.unrecorded(() => {
          this.mqm.createDestination(name);
          for (const child of children) this.mqm.addChild(name, child);
        });
      } catch (err) {
        const wharf = toWharfError(err, ErrorCodes.CONFIG, `pubsub ${name} could not be set up`);
        throw new ConfigError([{ path: ['pubsub', name], message: wharf.message, hint: wharf.hint }], this.source);
      }
    }
  }

  /** Opens the durable store and recreates what it kept, before any listener opens. */
  private async openStore(): Promise<void> {
    const durability = this.durability;
    if (durability === undefined) {
      this.logger.warn('no durable store configured: persistent messages are kept in memory only and are lost on restart (docs/durability.md)');
      return;
    }
    this.pages?.sweep();
    await durability.open();
    this.storeOpen = true;
    const restored = await this.mqm.restore();
    this.logger.info({
      store: durability.store.name, groupCommit: this.config.store.groupCommit, ...restored,
    }, `durable store ${durability.store.name} open: restored ${restored.destinations} destinations and ${restored.messages} messages`);
  }

  private async closeStore(): Promise<void> {
    if (!this.storeOpen || this.durability === undefined) return;
    this.storeOpen = false;
    try {
      await this.durability.close();
    } catch (err) {
      this.logger.error({ err, store: this.durability.store.name }, 'the store failed to close');
    }
  }

  private async openAllListeners(): Promise<void> {
    for (const listener of this.config.listeners) {
      const adapter = this.protocols.adapters.get(listener.protocol)!;
      const open = await (listener.transport === 'ws' ? openWebSocketListener : openSocketListener)(listener, adapter, {
        configDir: this.configDir,
        logger: this.logger.child({ listener: `${listener.protocol}+${listener.transport}` }),
        broker: this.mqm,
        connections: this.connections,
        // Connection (and so session) ids start with the minter's run (start time and node id): unique
        // across restarts and across the nodes of a cluster, so a command names a session wherever it lives.
        nextConnectionId: () => `${this.mqm.minter.run}-${++this.connectionCounter}`,
      });
      this.openListeners.push(open);
      this.logger.info({ url: open.url }, 'listening');
    }
  }

  private async shutdown(): Promise<void> {
    this.state = 'stopping';
    this.flow.stop();
    for (const adapter of this.protocols.adapters.values()) {
      try {
        await adapter.shutdown?.();
      } catch (err) {
        this.logger.error({ err, protocol: adapter.protocol }, 'protocol adapter failed to shut down');
      }
    }
    await Promise.all(this.openListeners.map((l) => l.close()));
    this.openListeners = [];
    await this.mqm.close();
    await this.pages?.close();
    await this.closeStore();
    for (const { plugin, hook } of [...this.hooks.stop].reverse()) {
      try {
        await hook();
      } catch (err) {
        this.logger.error({ err, plugin }, 'plugin failed to stop');
      }
    }
    this.state = 'stopped';
  }
}
