/**
 * The conformance profile (package.json `wharf.conformance`): the suite's request/response
 * profile and the driver it speaks HTTP through, for `wharf plugin check` and
 * test/conformance.test.ts. It sits beside the driver in test/ because this example is not
 * published; a published adapter ships its driver and profile in src/ (see docs/publishing-plugins.md).
 */
import { httpDriver } from './driver.js';

export default {
  protocols: {
    http: { profile: 'request-response' as const, driver: httpDriver },
  },
};
