/** Broken: keeps the passcode in the principal (which is logged and shown in session lists). */
import { brokenUsers } from '../support/security-variant.js';

export default brokenUsers('passcode-in-principal', (inner) => ({
  name: inner.name,
  async authenticate(credentials, connection) {
    const decision = await inner.authenticate(credentials, connection);
    if (decision !== undefined && 'principal' in decision) return { principal: { ...decision.principal, token: credentials.passcode } };
    return decision;
  },
}));
