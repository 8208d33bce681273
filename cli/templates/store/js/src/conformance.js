/**
 * The conformance profile: what @wharf/testkit's suites need to know about this plugin that they
 * cannot find out. `npm test` (test/conformance.test.js) and `wharf plugin check` both use it;
 * package.json names it ("wharf": { "conformance": ... }).
 */
import { InMemoryStore } from './store.js';

/** The instance is the "disk": reopening a folder gives back the store that was written there. @type {Map<string, InMemoryStore>} */
const disks = new Map();

/** @type {import('@wharf/testkit/run-conformance').ConformanceProfile} */
const profile = {
  stores: {
    '__NAME__': {
      /** @param {string} dir */
      create(dir) {
        let store = disks.get(dir);
        if (store === undefined) disks.set(dir, (store = new InMemoryStore('__NAME__')));
        return store;
      },
    },
  },
};

export default profile;
