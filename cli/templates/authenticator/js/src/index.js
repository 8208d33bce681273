/**
 * __PACKAGE__: the Wharf authenticator "__NAME__": users and scrypt password hashes from the
 * plugin's options (see README.md).
 */
import { definePlugin } from '@wharf/core';
import { OptionsAuthenticator } from './authenticator.js';

export { OptionsAuthenticator, hashPassword } from './authenticator.js';

export default definePlugin(
  {
    kind: 'security',
    name: '__PACKAGE__',
    core: '__CORE_RANGE__',
    description: 'users and scrypt password hashes from the plugin options',
    optionsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        users: {
          type: 'object',
          default: {},
          description: 'user name → { passwordHash, groups }',
          additionalProperties: {
            type: 'object',
            additionalProperties: false,
            required: ['passwordHash'],
            properties: {
              passwordHash: { type: 'string', pattern: '^scrypt:[^:]+:[^:]+$', description: 'as hashPassword() makes it' },
              groups: { type: 'array', items: { type: 'string' } },
            },
          },
        },
        anonymousGroups: { type: 'array', items: { type: 'string' }, description: 'set: clients without credentials get in as anonymous, with these groups' },
      },
    },
  },
  /** @param {import('@wharf/core').PluginContext<import('./authenticator.js').AuthenticatorOptions>} ctx */
  (ctx) => ctx.authenticator(new OptionsAuthenticator('__NAME__', ctx.options)),
);
