/** Broken: re-reads its rules file but never tells core (no onChange), so core's cached answers go stale. */
import type { Authorizer } from '@wharf/core';
import { brokenAcl } from '../support/security-variant.js';

export default brokenAcl('no-change-notice', (inner): Authorizer => ({ name: inner.name, rights: (principal, destination) => inner.rights(principal, destination) }));
