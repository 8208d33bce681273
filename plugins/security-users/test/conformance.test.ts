/** The users-file authenticator passes the authenticator conformance suite (users added through the watched file). */
import { describeAuthenticator } from '@wharf/testkit';
import { authenticatorWith, removeTempDirs } from './helpers.js';

describeAuthenticator('@wharf/security-users', {
  supportsAnonymous: true,
  create: async ({ anonymousGroups }) => authenticatorWith(anonymousGroups ? { anonymous: { groups: anonymousGroups } } : {}),
});

after(removeTempDirs);
