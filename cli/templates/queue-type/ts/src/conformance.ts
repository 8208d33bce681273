/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.ts) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import type { ConformanceProfile } from '@wharf/testkit/run-conformance';

const profile: ConformanceProfile = {
  queueTypes: {
    // Queue-like: held until someone subscribes; unacknowledged messages come back; persistent
    // messages go through QueueContext.durable and come back in restore() (the durability checks).
    '__NAME__': { holdsMessages: true, redelivers: true, durable: true },
  },
};

export default profile;
