/** The per-destination settings of a topic: a routing rule's `options`. */
import { ErrorCodes, WharfError, type JsonSchema } from '@wharf/core';

export type SlowSubscriberPolicy = 'disconnect' | 'drop-oldest' | 'block';

export interface TopicSettings {
  /** Most messages waiting for one subscriber that cannot take them yet. */
  readonly maxPendingMessages: number;
  /** Most bytes (bodies plus header text) waiting for one subscriber. */
  readonly maxPendingBytes: number;
  readonly slowSubscriberPolicy: SlowSubscriberPolicy;
}

export const DEFAULT_MAX_PENDING_MESSAGES = 1000;
export const DEFAULT_MAX_PENDING_BYTES = 8 * 1024 * 1024;

export const topicSettingsSchema: JsonSchema = {
  type: 'object',
  description: 'settings of a topic destination (a routing rule\'s options)',
  properties: {
    maxPendingMessages: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_MAX_PENDING_MESSAGES,
      description: 'the most messages kept for one subscriber that cannot take them yet; past it slowSubscriberPolicy applies',
    },
    maxPendingBytes: {
      type: 'integer',
      minimum: 1,
      default: DEFAULT_MAX_PENDING_BYTES,
      description: 'the most bytes (bodies plus headers) kept for one subscriber that cannot take them yet; past it slowSubscriberPolicy applies',
    },
    slowSubscriberPolicy: {
      enum: ['disconnect', 'drop-oldest', 'block'],
      default: 'disconnect',
      description: 'what happens to a subscriber whose pending buffer is full: disconnect (its client gets an error), drop-oldest (its oldest pending message is dropped and counted), or block (nothing is dropped: the broker stops reading from the clients that send to the topic until every subscriber is back under 80% of the limits)',
    },
  },
  additionalProperties: false,
};

/**
 * Reads settings as routing hands them over (the rule's options as written: core validates them
 * against the schema but passes the original object, so defaults are applied here).
 */
export function readTopicSettings(name: string, raw: Record<string, unknown>): TopicSettings {
  const policy = raw['slowSubscriberPolicy'] ?? 'disconnect';
  if (policy !== 'disconnect' && policy !== 'drop-oldest' && policy !== 'block') {
    throw badSetting(name, 'slowSubscriberPolicy', policy, 'disconnect, drop-oldest or block');
  }
  return {
    maxPendingMessages: positiveInteger(name, raw, 'maxPendingMessages', DEFAULT_MAX_PENDING_MESSAGES),
    maxPendingBytes: positiveInteger(name, raw, 'maxPendingBytes', DEFAULT_MAX_PENDING_BYTES),
    slowSubscriberPolicy: policy,
  };
}

function positiveInteger(name: string, raw: Record<string, unknown>, key: string, fallback: number): number {
  const value = raw[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw badSetting(name, key, value, 'a whole number of at least 1');
  return value;
}

function badSetting(name: string, key: string, value: unknown, expected: string): WharfError {
  return new WharfError(ErrorCodes.CONFIG, `topic ${name}: setting ${key} must be ${expected}, not ${JSON.stringify(value)}`, {
    hint: `fix ${key} in the options of the routing rule that matches ${name}`,
    details: { destination: name, setting: key },
  });
}
