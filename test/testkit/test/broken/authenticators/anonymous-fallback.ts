/** Broken: a wrong password falls back to the anonymous guest when anonymous access is set up. */
import { brokenUsers } from '../support/security-variant.js';

export default brokenUsers('anonymous-fallback', (inner) => ({
  name: inner.name,
  async authenticate(credentials, connection) {
    const decision = await inner.authenticate(credentials, connection);
    if (decision !== undefined && 'rejected' in decision) return inner.authenticate({}, connection);
    return decision;
  },
}));
