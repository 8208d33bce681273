/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.ts) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import type { ConformanceProfile } from '@wharf/testkit/run-conformance';
import { InMemoryStore } from './store.js';

/** The instance is the "disk": reopening a folder gives back the store that was written there. */
const disks = new Map<string, InMemoryStore>();

const profile: ConformanceProfile = {
  stores: {
    '__NAME__': {
      create(dir: string) {
        let store = disks.get(dir);
        if (store === undefined) disks.set(dir, (store = new InMemoryStore('__NAME__')));
        return store;
      },
    },
  },
};

export default profile;
