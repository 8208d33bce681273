/**
 * The conformance profile of the broken HTTP-lite adapters (broken/protocol/http-lite/ and the
 * variants built on it), given to `wharf plugin check --profile`: the request/response profile
 * of the suite, its driver, and a short wait.
 */
import { httpLiteDriver } from '../broken/protocol/http-lite/driver.js';

export default {
  protocols: {
    'http-lite': { profile: 'request-response' as const, driver: httpLiteDriver, timeoutMs: 2000 },
  },
};
