/**
 * __PACKAGE__: the Wharf authorizer "__NAME__": rights by destination name or prefix, for users
 * and groups, from the plugin's options (see README.md).
 */
import { definePlugin } from '@wharf/core';
import { PrefixAuthorizer, RIGHTS } from './authorizer.js';

export { PrefixAuthorizer } from './authorizer.js';

const rights = { type: 'array', items: { enum: [...RIGHTS] }, uniqueItems: true };

export default definePlugin(
  {
    kind: 'security',
    name: '__PACKAGE__',
    core: '__CORE_RANGE__',
    description: 'rights by destination name or prefix, for users and groups',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        rules: {
          type: 'array',
          default: [],
          description: 'each rule: destination or prefix, users and/or groups, allow and/or deny',
          items: {
            type: 'object',
            additionalProperties: false,
            oneOf: [{ required: ['destination'] }, { required: ['prefix'] }],
            anyOf: [{ required: ['users'] }, { required: ['groups'] }],
            properties: {
              destination: { type: 'string', minLength: 1 },
              prefix: { type: 'string', minLength: 1 },
              users: { type: 'array', items: { type: 'string' } },
              groups: { type: 'array', items: { type: 'string' } },
              allow: rights,
              deny: rights,
            },
          },
        },
      },
    },
  },
  /** @param {import('@wharf/core').PluginContext<{ rules: import('./authorizer.js').Rule[] }>} ctx */
  (ctx) => ctx.authorizer(new PrefixAuthorizer('__NAME__', ctx.options.rules)),
);
