/** Per-listener settings of the HTTP adapter (a listener's `options`); each has a safe default. */
import type { JsonSchema } from '@wharf/core';

export interface HttpOptions {
  /** Largest request body accepted by a publish, in bytes; a larger one is answered 413. */
  readonly maxBodyBytes: number;
  /** Largest `max` a poll may ask for. */
  readonly maxPollMessages: number;
  /** Longest `wait` a poll may ask for, in ms. */
  readonly maxWaitMs: number;
  /** Most polls open at once on this listener (each holds a broker session); more are answered 429. */
  readonly maxConcurrentPolls: number;
  /**
   * A connection with no request in flight for this long is closed; also the time a client has to
   * send a request's headers, and a publish its body.
   */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_HTTP_OPTIONS: HttpOptions = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxPollMessages: 100,
  maxWaitMs: 30_000,
  maxConcurrentPolls: 1000,
  idleTimeoutMs: 30_000,
};

// The broker validates each listener's options against this schema at start (defaults applied),
// so a typo in the config is an error naming its line, not a silently ignored setting.
export const httpOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxBodyBytes: { type: 'integer', minimum: 0, default: DEFAULT_HTTP_OPTIONS.maxBodyBytes, description: 'largest publish body, in bytes (default 4 MiB)' },
    maxPollMessages: { type: 'integer', minimum: 1, default: DEFAULT_HTTP_OPTIONS.maxPollMessages, description: 'largest max a poll may ask for' },
    maxWaitMs: { type: 'integer', minimum: 0, default: DEFAULT_HTTP_OPTIONS.maxWaitMs, description: 'longest wait a poll may ask for, in ms' },
    maxConcurrentPolls: { type: 'integer', minimum: 1, default: DEFAULT_HTTP_OPTIONS.maxConcurrentPolls, description: 'most polls open at once on the listener' },
    idleTimeoutMs: { type: 'integer', minimum: 100, default: DEFAULT_HTTP_OPTIONS.idleTimeoutMs, description: 'idle connections, slow headers and slow bodies are cut after this, in ms' },
  },
};
