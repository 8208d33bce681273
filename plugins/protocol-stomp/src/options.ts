/** Per-listener settings of the STOMP adapter (a listener's `options`); every one has a safe default. */
import type { JsonSchema } from '@wharf/core';

export interface StompOptions {
  /** Largest body accepted, in bytes (STOMP frames carry `content-length`). */
  readonly maxBodyBytes: number;
  /** Most headers in one frame. */
  readonly maxHeaders: number;
  /** Longest command or header line, in bytes. */
  readonly maxHeaderLineBytes: number;
  /** Time a client has to send CONNECT after it opened the connection. */
  readonly connectTimeoutMs: number;
  /** Most subscriptions one connection may hold. */
  readonly maxSubscriptions: number;
  /** Most unacknowledged messages per subscription in client ack modes (the largest prefetch-count). */
  readonly maxUnackedPerSubscription: number;
  /** Most open connections on this listener. */
  readonly maxConnections: number;
  /** What the server offers in CONNECTED `heart-beat`: [can send every ms, wants to receive every ms]. */
  readonly heartBeat: readonly [number, number];
  /** A connection silent for longer than the agreed interval times this factor is closed. */
  readonly heartBeatGrace: number;
  /** Bytes queued for one client before its subscriptions are paused (backpressure). */
  readonly writeHighWaterMark: number;
}

export const stompOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxBodyBytes: { type: 'integer', minimum: 0, default: 4 * 1024 * 1024, description: 'largest body accepted, in bytes (default 4 MiB)' },
    maxHeaders: { type: 'integer', minimum: 1, default: 64, description: 'most headers in one frame' },
    maxHeaderLineBytes: { type: 'integer', minimum: 64, default: 8192, description: 'longest command or header line, in bytes' },
    connectTimeoutMs: { type: 'integer', minimum: 1, default: 10000, description: 'time allowed to send CONNECT, in ms' },
    maxSubscriptions: { type: 'integer', minimum: 1, default: 1000, description: 'most subscriptions per connection' },
    maxUnackedPerSubscription: { type: 'integer', minimum: 1, default: 10000, description: 'most unacknowledged messages per subscription in client ack modes' },
    maxConnections: { type: 'integer', minimum: 1, default: 10000, description: 'most open connections on this listener' },
    heartBeat: {
      type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2, default: [10000, 10000],
      description: 'the heart-beat the server offers: [ms between beats it can send, ms between beats it wants]; 0 disables',
    },
    heartBeatGrace: { type: 'number', minimum: 1, default: 1.5, description: 'silence allowed, as a multiple of the agreed heart-beat interval' },
    writeHighWaterMark: { type: 'integer', minimum: 1024, default: 1024 * 1024, description: 'bytes queued for one client before delivery to it pauses' },
  },
};

/** The defaults, for adapters used without a listener config (tests over in-memory streams). */
export const DEFAULT_STOMP_OPTIONS: StompOptions = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxHeaders: 64,
  maxHeaderLineBytes: 8192,
  connectTimeoutMs: 10000,
  maxSubscriptions: 1000,
  maxUnackedPerSubscription: 10000,
  maxConnections: 10000,
  heartBeat: [10000, 10000],
  heartBeatGrace: 1.5,
  writeHighWaterMark: 1024 * 1024,
};
