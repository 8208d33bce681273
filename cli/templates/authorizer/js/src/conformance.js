/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.js) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import { PrefixAuthorizer } from './authorizer.js';

/** The suite's grants are on exact names: each becomes a rule with `destination`. */
/** @type {import('@wharf/testkit/run-conformance').ConformanceProfile} */
const profile = {
  authorizers: {
    '__NAME__': {
      async create(grants) {
        const authorizer = new PrefixAuthorizer('__NAME__', grants);
        return { authorizer, update: async (next) => authorizer.setRules(next) };
      },
    },
  },
};

export default profile;
