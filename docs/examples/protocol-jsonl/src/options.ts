/** Per-listener settings of the JSONL adapter (a listener's `options`); each has a safe default. */
import type { JsonSchema } from '@wharf/core';

export interface JsonlOptions {
  /** Longest line accepted, in bytes; a longer one is an error before it is even complete. */
  readonly maxLineBytes: number;
  /** Time a client has to send `connect` after it opened the connection. */
  readonly connectTimeoutMs: number;
  /** Most subscriptions one connection may hold. */
  readonly maxSubscriptions: number;
  /** Most unacknowledged messages per subscription in client ack modes (the largest prefetch). */
  readonly maxUnackedPerSubscription: number;
  /** Bytes queued for one client before its subscriptions are paused (backpressure). */
  readonly writeHighWaterMark: number;
}

export const DEFAULT_JSONL_OPTIONS: JsonlOptions = {
  maxLineBytes: 4 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  maxSubscriptions: 1000,
  maxUnackedPerSubscription: 10_000,
  writeHighWaterMark: 1024 * 1024,
};

// The broker validates each listener's options against this schema at start (defaults applied),
// so a typo in the config is an error naming its line, not a silently ignored setting.
export const jsonlOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxLineBytes: { type: 'integer', minimum: 256, default: DEFAULT_JSONL_OPTIONS.maxLineBytes, description: 'longest line accepted, in bytes (default 4 MiB)' },
    connectTimeoutMs: { type: 'integer', minimum: 1, default: DEFAULT_JSONL_OPTIONS.connectTimeoutMs, description: 'time allowed to send connect, in ms' },
    maxSubscriptions: { type: 'integer', minimum: 1, default: DEFAULT_JSONL_OPTIONS.maxSubscriptions, description: 'most subscriptions per connection' },
    maxUnackedPerSubscription: {
      type: 'integer', minimum: 1, default: DEFAULT_JSONL_OPTIONS.maxUnackedPerSubscription,
      description: 'most unacknowledged messages per subscription in client ack modes',
    },
    writeHighWaterMark: {
      type: 'integer', minimum: 1024, default: DEFAULT_JSONL_OPTIONS.writeHighWaterMark,
      description: 'bytes queued for one client before delivery to it pauses',
    },
  },
};
