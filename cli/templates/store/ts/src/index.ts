/**
 * __PACKAGE__: the Wharf store "__NAME__", kept in memory. List it in `plugins` and select it
 * with `store: { use: __NAME__ }` (see README.md).
 */
import { definePlugin } from '@wharf/core';
import { InMemoryStore } from './store.js';

export { InMemoryStore } from './store.js';

interface Options {
  /** The name `store.use` selects. */
  readonly name: string;
}

export default definePlugin<Options>(
  {
    kind: 'store',
    name: '__PACKAGE__',
    core: '__CORE_RANGE__',
    description: 'a durable store kept in memory',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1, default: '__NAME__', description: 'the name store.use selects' } },
    },
  },
  (ctx) => ctx.store(new InMemoryStore(ctx.options.name)),
);
