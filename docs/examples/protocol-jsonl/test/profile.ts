/**
 * The conformance profile (package.json `wharf.conformance`): the driver describeProtocolAdapter()
 * speaks JSONL through, for `wharf plugin check` and test/conformance.test.ts. It sits beside the
 * driver in test/ because this example is not published; a published adapter ships its driver
 * and profile in src/ (see docs/publishing-plugins.md).
 */
import { jsonlDriver } from './driver.js';

export default {
  protocols: {
    jsonl: { driver: jsonlDriver },
  },
};
