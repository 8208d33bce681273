/** Broken: a grant on a name also covers every longer name that starts with it (a rule regex without `$`). */
import { authorizerWith, brokenAcl } from '../support/security-variant.js';

export default brokenAcl('prefix-match', (inner) => authorizerWith(inner, (principal, destination) => {
  const rights = new Set(inner.rights(principal, destination));
  for (let end = 1; end < destination.length; end++) for (const r of inner.rights(principal, destination.slice(0, end))) rights.add(r);
  return rights;
}));
