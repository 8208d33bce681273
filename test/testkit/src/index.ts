/** @wharf/testkit: conformance suites every plugin of a kind passes, and in-process test helpers. */
export * from './consumer.js';
export * from './harness.js';
export * from './duplex.js';
export * from './describe-queue-type.js';
export * from './describe-store.js';
export * from './store-helpers.js';
export * from './describe-authenticator.js';
export * from './describe-authorizer.js';
export * from './describe-protocol-adapter.js';
export * from './run-conformance.js';
export { checkProfile } from './conformance-profile.js';
export { startRedisServer, testRedisUrl, type RedisServer, type RedisServerOptions } from './redis-server.js';
export { FaultInjectingStore, InMemoryTestStore, storePluginFor } from './fault-store.js';
