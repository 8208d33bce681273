/** The per-destination settings of a queue: a routing rule's `options`. */
import { ErrorCodes, WharfError, type JsonSchema } from '@wharf/core';

export type OverflowPolicy = 'reject' | 'drop-head';

export interface QueueSettings {
  /** Most messages held (waiting for a consumer); undefined = no limit. */
  readonly maxLength: number | undefined;
  /** Most bytes held (bodies plus header text); undefined = no limit. */
  readonly maxBytes: number | undefined;
  readonly overflow: OverflowPolicy;
  /** Remove the queue once it is empty and its last subscriber left. */
  readonly autoDelete: boolean;
  /** Store every message durably, persistent or not (when the broker has a store). */
  readonly durable: boolean;
  /** Bytes held at which producers sending here are paused (flow control); undefined = never. */
  readonly highWaterMarkBytes: number | undefined;
  /** Bytes held in memory past which messages are paged to disk (with a store); 0 = never; undefined = the broker's default. */
  readonly pageOutBytes: number | undefined;
}

export const queueSettingsSchema: JsonSchema = {
  type: 'object',
  description: 'settings of a queue destination (a routing rule\'s options)',
  properties: {
    maxLength: {
      type: 'integer',
      minimum: 1,
      description: 'the most messages the queue holds while no consumer can take them; past it the overflow policy applies (default: no limit)',
    },
    maxBytes: {
      type: 'integer',
      minimum: 1,
      description: 'the most bytes (bodies plus headers) the queue holds; past it the overflow policy applies (default: no limit)',
    },
    overflow: {
      enum: ['reject', 'drop-head'],
      default: 'reject',
      description: 'what a send to a full queue does: reject (the sender gets an error) or drop-head (the oldest held message is dropped)',
    },
    autoDelete: {
      type: 'boolean',
      default: false,
      description: 'remove the queue when it is empty and its last subscriber has left (default: it stays until deleted)',
    },
    highWaterMarkBytes: {
      type: 'integer',
      minimum: 1,
      description: 'flow control: the bytes (bodies plus headers) held at which the broker stops reading from clients that send here, until the queue is back under 80% of it; nothing is dropped or refused (default: only the broker-wide limits.memoryHighWaterMark applies)',
    },
    pageOutBytes: {
      type: 'integer',
      minimum: 0,
      description: 'paging (only with a store): the bytes (bodies plus headers) the queue holds in memory before it writes held messages to a spill file and reads them back in order before delivery, so a stuck consumer costs disk, not memory; 0 never pages (default: 10% of limits.memoryHighWaterMark, at least 1 MiB)',
    },
    durable: {
      type: 'boolean',
      default: false,
      description: 'keep every message of the queue in the durable store, as if each were sent persistent:true (default: only persistent messages are stored)',
    },
  },
  additionalProperties: false,
};

/**
 * Reads settings as routing hands them over (the rule's options as written: core validates them
 * against the schema but passes the original object, so defaults are applied here).
 */
export function readQueueSettings(name: string, raw: Record<string, unknown>): QueueSettings {
  const maxLength = positiveInteger(name, raw, 'maxLength');
  const maxBytes = positiveInteger(name, raw, 'maxBytes');
  const overflow = raw['overflow'] ?? 'reject';
  if (overflow !== 'reject' && overflow !== 'drop-head') {
    throw badSetting(name, 'overflow', overflow, 'reject or drop-head');
  }
  const autoDelete = raw['autoDelete'] ?? false;
  if (typeof autoDelete !== 'boolean') throw badSetting(name, 'autoDelete', autoDelete, 'true or false');
  const durable = raw['durable'] ?? false;
  if (typeof durable !== 'boolean') throw badSetting(name, 'durable', durable, 'true or false');
  const highWaterMarkBytes = positiveInteger(name, raw, 'highWaterMarkBytes');
  const pageOut = raw['pageOutBytes'];
  if (pageOut !== undefined && (typeof pageOut !== 'number' || !Number.isInteger(pageOut) || pageOut < 0)) {
    throw badSetting(name, 'pageOutBytes', pageOut, 'a whole number of at least 0 (0: never page)');
  }
  return { maxLength, maxBytes, overflow, autoDelete, durable, highWaterMarkBytes, pageOutBytes: pageOut as number | undefined };
}

function positiveInteger(name: string, raw: Record<string, unknown>, key: string): number | undefined {
  const value = raw[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badSetting(name, key, value, 'a whole number of at least 1');
  return value;
}

function badSetting(name: string, key: string, value: unknown, expected: string): WharfError {
  return new WharfError(ErrorCodes.CONFIG, `queue ${name}: setting ${key} must be ${expected}, not ${JSON.stringify(value)}`, {
    hint: `fix ${key} in the options of the routing rule that matches ${name}`,
    details: { destination: name, setting: key },
  });
}
