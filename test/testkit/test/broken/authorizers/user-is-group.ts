/** Broken: user and group names share one namespace: a user named like a group gets its rights. */
import { authorizerWith, brokenAcl } from '../support/security-variant.js';

export default brokenAcl('user-is-group', (inner) => authorizerWith(inner, (principal, destination) =>
  inner.rights({ ...principal, groups: [...principal.groups, principal.name] }, destination)));
