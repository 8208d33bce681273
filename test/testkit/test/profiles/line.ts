/**
 * The conformance profile of the broken line-protocol adapters (broken/protocol/line/ and the
 * variants built on it), given to `wharf plugin check --profile`: the driver, and a short wait and
 * backpressure load so the streaming profile runs quickly against a protocol this small.
 */
import { lineDriver } from '../broken/protocol/line/driver.js';

export default {
  protocols: {
    line: { driver: lineDriver, timeoutMs: 2000, backpressure: { messages: 160, bodyBytes: 64 * 1024 } },
  },
};
