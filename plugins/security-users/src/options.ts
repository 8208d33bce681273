/** The plugin's options (see README.md for the table). */
import type { JsonSchema } from '@wharf/core';

/** The plugin's name, as `wharf users` finds it among the config's plugins. */
export const PLUGIN_NAME = 'security-users';

export interface UsersOptions {
  /** The users file, relative to the config file. */
  readonly file: string;
  /** Let clients without credentials in as `anonymous` with these groups. Off when absent. */
  readonly anonymous?: { readonly groups: readonly string[] };
  /** Accept a verified TLS client certificate: its subject CN is the user name. */
  readonly certificates: boolean;
  /** `reject` (default): a name not in the file is refused; `abstain`: a later authenticator decides. */
  readonly unknownUsers: 'reject' | 'abstain';
  /** Re-read the file when it changes. */
  readonly watch: boolean;
  readonly watchDebounceMs: number;
  readonly throttle: { readonly baseDelayMs: number; readonly maxDelayMs: number; readonly forgetAfterMs: number };
}

export const usersOptionsSchema: JsonSchema = {
  type: 'object',
  required: ['file'],
  properties: {
    file: { type: 'string', minLength: 1, description: 'the users file (YAML), relative to the config file; create it with `npx wharf users add`' },
    anonymous: {
      type: 'object',
      required: ['groups'],
      description: 'let clients that send no login in, as the user "anonymous" with these groups: { groups: [guest] }',
      properties: { groups: { type: 'array', items: { type: 'string', minLength: 1 }, description: 'the groups anonymous clients belong to' } },
      additionalProperties: false,
    },
    certificates: {
      type: 'boolean', default: false,
      description: 'authenticate TLS clients by their verified certificate: the subject CN is the user name (the listener needs tls.requestCert and tls.ca)',
    },
    unknownUsers: {
      enum: ['reject', 'abstain'], default: 'reject',
      description: 'reject: a login not in the file is refused; abstain: the next authenticator in plugins decides',
    },
    watch: { type: 'boolean', default: true, description: 're-read the users file when it changes' },
    watchDebounceMs: { type: 'integer', minimum: 0, default: 100, description: 'quiet time after a change before the file is re-read, in ms' },
    throttle: {
      type: 'object',
      default: {},
      description: 'slowing down repeated failed logins from one address',
      properties: {
        baseDelayMs: { type: 'integer', minimum: 0, default: 50, description: 'delay of the first failure; each further one doubles it' },
        maxDelayMs: { type: 'integer', minimum: 0, default: 5000, description: 'the longest delay of one failed answer' },
        forgetAfterMs: { type: 'integer', minimum: 0, default: 60000, description: 'an address without failures for this long starts afresh' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
};
