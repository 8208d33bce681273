/** Broken: whoever the file rejects is let in under the login they gave. */
import { brokenUsers } from '../support/security-variant.js';

export default brokenUsers('accepts-any-passcode', (inner) => ({
  name: inner.name,
  async authenticate(credentials, connection) {
    const decision = await inner.authenticate(credentials, connection);
    if (decision !== undefined && 'rejected' in decision && credentials.login) return { principal: { name: credentials.login, groups: [], anonymous: false } };
    return decision;
  },
}));
