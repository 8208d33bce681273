/** @wharf/testkit: conformance suites every plugin of a kind passes, and in-process test helpers. */
export * from './consumer.js';
export * from './harness.js';
export * from './describe-queue-type.js';
