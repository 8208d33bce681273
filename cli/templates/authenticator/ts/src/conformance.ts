/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.ts) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import type { ConformanceProfile } from '@wharf/testkit/run-conformance';
import { OptionsAuthenticator } from './authenticator.js';

const profile: ConformanceProfile = {
  authenticators: {
    '__NAME__': {
      supportsAnonymous: true,
      async create(setup) {
        const authenticator = new OptionsAuthenticator('__NAME__', { users: {}, ...(setup.anonymousGroups ? { anonymousGroups: setup.anonymousGroups } : {}) });
        return { authenticator, addUser: (name, password, groups) => authenticator.addUser(name, password, groups) };
      },
    },
  },
};

export default profile;
