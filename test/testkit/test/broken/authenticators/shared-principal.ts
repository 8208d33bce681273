/** Broken: keeps the first principal it accepted and hands it to every user accepted after (a cache keyed on nothing). */
import type { Principal } from '@wharf/core';
import { brokenUsers } from '../support/security-variant.js';

export default brokenUsers('shared-principal', (inner) => {
  let first: Principal | undefined;
  return {
    name: inner.name,
    async authenticate(credentials, connection) {
      const decision = await inner.authenticate(credentials, connection);
      if (decision === undefined || !('principal' in decision) || decision.principal.anonymous) return decision;
      first ??= decision.principal;
      return { principal: first };
    },
  };
});
