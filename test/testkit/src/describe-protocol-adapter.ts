/**
 * The conformance suite every protocol adapter passes, first-party or not. It starts a real broker
 * with a real TCP listener for the adapter (core's transport, port 0) and a test security plugin,
 * and talks to it through the author's driver. A bug found in one adapter becomes a test here, and
 * every adapter gets it. Two profiles, because protocols come in two shapes:
 *
 * - `streaming` (the default): a client connection stays open and the broker pushes messages to it
 *   (STOMP, JSONL). The driver is a small client (protocol-driver.ts); checks in
 *   describe-protocol-streaming.ts.
 *
 *     describeProtocolAdapter('stomp', {
 *       plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', stompPlugin],
 *       protocol: 'stomp',
 *       driver: stompDriver,
 *     });
 *
 * - `request-response`: each request is its own broker session (HTTP publish/poll). The driver
 *   makes one request per call (protocol-request-driver.ts); checks in
 *   describe-protocol-request-response.ts.
 *
 *     describeProtocolAdapter('http', { profile: 'request-response', plugins, protocol: 'http', driver: httpDriver });
 */
import { describeRequestResponseProtocol } from './describe-protocol-request-response.js';
import { describeStreamingProtocol } from './describe-protocol-streaming.js';
import type { ProtocolAdapterSuiteOptions } from './protocol-suite.js';

export type * from './protocol-driver.js';
export type * from './protocol-request-driver.js';
export type { ProtocolAdapterSuiteOptions, RequestResponseSuiteOptions, StreamingSuiteOptions } from './protocol-suite.js';
export { TEST_USERS, testSecurityPlugin, type TestUser } from './test-security.js';

/** Registers a mocha `describe` block that checks a protocol adapter against the broker's contracts. */
export function describeProtocolAdapter(name: string, options: ProtocolAdapterSuiteOptions): void {
  if (options.profile === 'request-response') describeRequestResponseProtocol(name, options);
  else describeStreamingProtocol(name, options);
}
