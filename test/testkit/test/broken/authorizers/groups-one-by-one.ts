/** Broken: each group is looked at on its own and the answers added up, so one group's deny cannot take away another's allow. */
import { authorizerWith, brokenAcl } from '../support/security-variant.js';

export default brokenAcl('groups-one-by-one', (inner) => authorizerWith(inner, (principal, destination) => {
  const rights = new Set(inner.rights({ ...principal, groups: [] }, destination));
  for (const group of principal.groups) for (const r of inner.rights({ ...principal, groups: [group] }, destination)) rights.add(r);
  return rights;
}));
