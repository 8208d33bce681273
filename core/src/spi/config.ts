/** The broker configuration, after validation and defaults (see docs/configuration.md). */
import type { ListenerConfig } from './protocol.js';
import type { PluginDefinition } from './plugin.js';

/** A package name, a path to a local file or folder (relative to the config file), or a definition. */
export type PluginEntry =
  | string
  | { readonly use: string | PluginDefinition<never>; readonly options?: Record<string, unknown> }
  | PluginDefinition<never>;

export interface RoutingRule {
  /** A regular expression searched for in the destination name: anchor it with ^ and $ to match the whole name. */
  readonly match: string;
  readonly type: string;
  /** Settings for destinations this rule creates, validated against the type's settingsSchema. */
  readonly options?: Record<string, unknown>;
}

export interface RoutingConfig {
  readonly rules: readonly RoutingRule[];
  /** Prefix -> queue type; the longest matching prefix wins. */
  readonly prefixes: Readonly<Record<string, string>>;
  /** Type for names no rule or prefix matched, or `reject`. */
  readonly fallback: string;
  /** How many routing decisions are cached. */
  readonly cacheSize: number;
}

export interface BrokerConfig {
  readonly plugins: readonly PluginEntry[];
  readonly listeners: readonly ListenerConfig[];
  readonly routing: RoutingConfig;
  readonly pubsub: Readonly<Record<string, { readonly children: readonly string[] }>>;
  readonly security: { readonly allowAnonymousRemote: boolean };
  /** Where durable messages are kept (docs/durability.md). */
  readonly store: {
    /** The store to use, by the name its plugin gives it (`sqlite`, `memory`); unset: the only store plugin loaded, if any. */
    readonly use?: string;
    /** One transaction per batch of messages (true) or per message (false: benchmarks only). */
    readonly groupCommit: boolean;
    /** Where queues page their backlog out (docs/flow-control.md); unset: the OS temp directory. */
    readonly pageDirectory?: string;
  };
  readonly limits: {
    /** Longest destination name accepted, in characters. */
    readonly maxDestinationLength: number;
    /** Most operations buffered in one transaction. */
    readonly maxTransactionSize: number;
    /** Most open transactions per session. */
    readonly maxTransactions: number;
    /**
     * Resident memory (bytes) at which the broker stops reading from clients that publish; 0 turns
     * the alarm off. Unset: 40% of the machine's memory, at most half of V8's heap limit.
     */
    readonly memoryHighWaterMark?: number;
    /**
     * Bytes all connections together may hold in unfinished input frames (docs/security.md "Input limits").
     * Unset: 256 MiB, or a quarter of the memory high-watermark when that is smaller.
     */
    readonly inputBufferBytes?: number;
    /** Memory (bytes) below which they are read again. Unset: 80% of the high-watermark. */
    readonly memoryLowWaterMark?: number;
    /** Connection limits per remote address and per state (core/src/kernel/connection-limits.ts). */
    readonly connections: {
      /** Most open connections from one address (IPv6: one /64), on all listeners together. */
      readonly perAddress: number;
      /** Most connections from one address that have not authenticated yet. */
      readonly unauthenticatedPerAddress: number;
      /** Most connections on one listener that have not authenticated yet. */
      readonly unauthenticatedPerListener: number;
    };
  };
  readonly log: { readonly level: string };
}

/** Where a config came from, so errors can name the file and the line. */
export interface ConfigSource {
  /** Absolute path of the config file, if it came from one. */
  readonly filepath?: string | undefined;
  /** The line and column (1-based) where the value at `path` is written, when known (YAML, JSON). */
  locate?(path: ReadonlyArray<string | number>): { line: number; column: number } | undefined;
}
