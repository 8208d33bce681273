/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.ts) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import type { ConformanceProfile } from '@wharf/testkit/run-conformance';
import { driver } from './client.js';

const profile: ConformanceProfile = {
  protocols: {
    // The suite cannot speak every protocol: it speaks this one through its client.
    '__NAME__': { driver },
  },
};

export default profile;
