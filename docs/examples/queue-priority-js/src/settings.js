// @ts-check
/**
 * The settings of one priority queue: a routing rule's `options`. The broker validates them
 * against `prioritySettingsSchema` when it starts (a typo is an error naming the config line), then
 * hands the object to QueueType.create() as written, so defaults are applied here.
 */
import { ErrorCodes, WharfError } from '@wharf/core';

/** @import { JsonSchema, Message } from '@wharf/core' */

// #region settings
/**
 * `reject`: a send to a full queue fails. `drop-lowest`: the least important message goes.
 * @typedef {'reject' | 'drop-lowest'} OverflowPolicy
 */

/**
 * @typedef {object} PrioritySettings
 * @property {number | undefined} maxLength Most messages held (waiting for a consumer); undefined = no limit.
 * @property {OverflowPolicy} overflow
 * @property {number} defaultPriority The priority of a message that has no `priority` header.
 * @property {boolean} durable Store every message durably, persistent or not (when the broker has a store).
 */

/** Priorities run from 0 (lowest) to 9 (highest), as in JMS, ActiveMQ and RabbitMQ's usual setting. */
export const MAX_PRIORITY = 9;

/** @type {JsonSchema} */
export const prioritySettingsSchema = {
  type: 'object',
  description: 'settings of a priority queue (a routing rule\'s options)',
  additionalProperties: false,
  properties: {
    maxLength: {
      type: 'integer', minimum: 1,
      description: 'the most messages the queue holds while no consumer can take them; past it the overflow policy applies (default: no limit)',
    },
    overflow: {
      enum: ['reject', 'drop-lowest'], default: 'reject',
      description: 'what a send to a full queue does: reject (the sender gets WHARF_ERR_OVERFLOW) or drop-lowest (the oldest message of the lowest priority is dropped, or the new one if it ranks lower still)',
    },
    defaultPriority: {
      type: 'integer', minimum: 0, maximum: MAX_PRIORITY, default: 4,
      description: 'the priority of a message sent without a priority header (default 4, as in JMS)',
    },
    durable: {
      type: 'boolean', default: false,
      description: 'keep every message in the durable store, as if each were sent persistent:true (default: only persistent messages are stored)',
    },
  },
};
// #endregion settings

/**
 * Applies the defaults. The schema was checked already; this guards a broker created from code.
 * @param {string} name
 * @param {Record<string, unknown>} raw
 * @returns {PrioritySettings}
 */
export function readPrioritySettings(name, raw) {
  const maxLength = raw['maxLength'];
  if (maxLength !== undefined && !(typeof maxLength === 'number' && Number.isInteger(maxLength) && maxLength >= 1)) {
    throw badSetting(name, 'maxLength', maxLength, 'a whole number of at least 1');
  }
  const overflow = raw['overflow'] ?? 'reject';
  if (overflow !== 'reject' && overflow !== 'drop-lowest') throw badSetting(name, 'overflow', overflow, 'reject or drop-lowest');
  const defaultPriority = raw['defaultPriority'] ?? 4;
  if (!(typeof defaultPriority === 'number' && Number.isInteger(defaultPriority) && defaultPriority >= 0 && defaultPriority <= MAX_PRIORITY)) {
    throw badSetting(name, 'defaultPriority', defaultPriority, `a whole number from 0 to ${MAX_PRIORITY}`);
  }
  const durable = raw['durable'] ?? false;
  if (typeof durable !== 'boolean') throw badSetting(name, 'durable', durable, 'true or false');
  return { maxLength, overflow, defaultPriority, durable };
}

// #region priority-of
/**
 * A message's priority: its `priority` header, 0 to 9. Larger whole numbers count as 9 (RabbitMQ
 * does the same past its maximum), so clients that send 0-255 still work. Anything else is
 * refused: the sender gets an error instead of a message silently queued at the wrong priority.
 * @param {Message} message
 * @param {number} fallback
 * @returns {number}
 */
export function priorityOf(message, fallback) {
  const value = message.headers['priority'];
  if (value === undefined) return fallback;
  // The usual case, one digit, costs one character code.
  const digit = value.charCodeAt(0) - 48;
  if (value.length === 1 && digit >= 0 && digit <= 9) return digit;
  // Rarely more: only digits, at most ten of them (no sign, no spaces, no 0x or 1e1).
  if (/^\d{1,10}$/.test(value)) return Math.min(Number(value), MAX_PRIORITY);
  throw new WharfError(ErrorCodes.PROTOCOL, `priority queue ${message.destination} refuses priority ${JSON.stringify(value)}`, {
    hint: `send a priority header that is a whole number from 0 (lowest) to ${MAX_PRIORITY} (highest), or none for the default`,
    details: { destination: message.destination, header: 'priority', value },
  });
}
// #endregion priority-of

/**
 * @param {string} name
 * @param {string} key
 * @param {unknown} value
 * @param {string} expected
 */
function badSetting(name, key, value, expected) {
  return new WharfError(ErrorCodes.CONFIG, `priority queue ${name}: setting ${key} must be ${expected}, not ${JSON.stringify(value)}`, {
    hint: `fix ${key} in the options of the routing rule that matches ${name}`,
    details: { destination: name, setting: key },
  });
}
