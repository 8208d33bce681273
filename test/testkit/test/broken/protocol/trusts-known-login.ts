/**
 * Broken: skips the security check for a login it has seen. It remembers the credentials that
 * worked for each login and uses them for every later connect naming that login, so a client with
 * the wrong passcode is let in — and publishes — as that user.
 * Caught by: "asks the security plugins on every connect, even while the same user is connected".
 */
import { definePlugin, type ClientSession, type Credentials } from '@wharf/core';
import { LineAdapter, type LineConnection } from './line/adapter.js';

class TrustsKnownLogin extends LineAdapter {
  private readonly remembered = new Map<string, Credentials>();

  override async authenticate(connection: LineConnection, credentials: Credentials): Promise<ClientSession> {
    const known = credentials.login === undefined ? undefined : this.remembered.get(credentials.login);
    const session = await super.authenticate(connection, known ?? credentials);
    if (credentials.login !== undefined) this.remembered.set(credentials.login, known ?? credentials);
    return session;
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-trusts-known-login', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new TrustsKnownLogin());
});
