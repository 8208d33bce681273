/**
 * This package's conformance profile (package.json `wharf.conformance`): what @wharf/testkit's
 * describeProtocolAdapter needs to know about the `stomp` adapter that it cannot find out by
 * loading it — a client that speaks STOMP to it. `wharf plugin check` and the package's own
 * conformance test (test/conformance/) read it. The driver is in src/testing/ (shipped) because
 * the profile is loaded from the package as installed; it imports only this package's codec.
 */
import { stompDriver } from './testing/stomp-driver.js';

export default {
  protocols: {
    stomp: { driver: stompDriver },
  },
};
