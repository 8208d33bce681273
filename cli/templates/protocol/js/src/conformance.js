/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.js) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import { driver } from './client.js';

/** @type {import('@wharf/testkit/run-conformance').ConformanceProfile} */
const profile = {
  protocols: {
    // The suite cannot speak every protocol: it speaks this one through its client.
    '__NAME__': { driver },
  },
};

export default profile;
