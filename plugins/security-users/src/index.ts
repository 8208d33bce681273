/**
 * @wharf/security-users: who may connect. Users and their groups live in a YAML file named by the
 * options (passwords only as scrypt hashes); the file is re-read when it changes. TLS client
 * certificates and anonymous guests are opt-in. Repeated failures from one address are slowed down.
 */
import { resolve } from 'node:path';
import { definePlugin } from '@wharf/core';
import { PLUGIN_NAME, usersOptionsSchema, type UsersOptions } from './options.js';
import { UsersAuthenticator } from './users-authenticator.js';
import { UserStore } from './user-store.js';
import { warnIfNotPrivate } from './private-file.js';

export { UsersAuthenticator } from './users-authenticator.js';
export { UserStore } from './user-store.js';
export { FailureThrottle, DEFAULT_THROTTLE, type ThrottleOptions } from './failure-throttle.js';
export { hashPassword, verifyPassword, parseHash, DEFAULT_PARAMS, type ScryptParams, type ParsedHash } from './password-hash.js';
export { parseUsersFile, readUsersFile, type UserEntry } from './users-file.js';
export { checkUserName, checkGroupName, isSafeName, SAFE_NAME, ANONYMOUS_NAME } from './names.js';
export { MAX_PASSWORD_BYTES, MAX_USER_NAME_BYTES, passwordLimitProblem } from './credential-limits.js';
export { warnIfNotPrivate, octalMode } from './private-file.js';
export { checkNewUser, setUserInText, removeUserFromText, readTextOrEmpty, writeFileAtomically } from './users-file-edit.js';
export { PLUGIN_NAME, usersOptionsSchema, type UsersOptions } from './options.js';

export default definePlugin<UsersOptions>(
  {
    kind: 'security',
    name: PLUGIN_NAME,
    core: '^0.1.0',
    optionsSchema: usersOptionsSchema,
    description: 'authentication: a users file with scrypt password hashes and groups, TLS client certificates, anonymous guests',
  },
  (ctx) => {
    const file = resolve(ctx.configDir, ctx.options.file);
    const store = new UserStore(file, ctx.logger);
    const authenticator = new UsersAuthenticator(store, ctx.options, ctx.logger);
    ctx.authenticator(authenticator);
    ctx.onStart(async () => {
      await store.load();
      // Once, at start: a reload does not repeat it (the file keeps the mode its writer gave it).
      await warnIfNotPrivate(file, ctx.logger);
      authenticator.refreshDecoy();
      if (ctx.options.watch) store.watch(ctx.options.watchDebounceMs);
    });
    ctx.onStop(() => {
      store.close();
      authenticator.close();
    });
  },
);
