/**
 * __PACKAGE__: the Wharf queue type "__NAME__". Load it by listing this package (or its folder)
 * in the broker config's `plugins`, and route names to it (see README.md).
 */
import { definePlugin } from '@wharf/core';
import { RedeliveringQueue } from './queue.js';

/** A routing rule's `options` for this type, checked by the broker against this schema. */
const settingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxDeliveries: { type: 'integer', minimum: 0, default: 0, description: 'deliveries before a message is given up on (0: never)' },
    deadLetter: { type: 'string', minLength: 1, description: 'where a message given up on goes (unset: it is dropped)' },
  },
};

/** @type {import('@wharf/core').QueueType} */
export const queueType = {
  type: '__NAME__',
  settingsSchema,
  create: (name, settings, ctx) => new RedeliveringQueue(name, '__NAME__', /** @type {any} */ (settings), ctx),
};

export default definePlugin(
  { kind: 'queue-type', name: '__PACKAGE__', core: '__CORE_RANGE__', description: 'a queue that redelivers' },
  (ctx) => ctx.queueType(queueType),
);
