/**
 * @wharf/core: the kernel (MessageQueueManager, routing, plugin loading, broker lifecycle) and the
 * contracts every plugin implements. Plugins import everything they need from here, tsyringe's
 * decorators included, so they never touch a global container.
 */
import 'reflect-metadata';

export * from './errors.js';
export * from './spi/message.js';
export * from './spi/queue.js';
export * from './spi/admin.js';
export * from './spi/security.js';
export * from './spi/protocol.js';
export * from './spi/store.js';
export * from './spi/plugin.js';
export * from './spi/config.js';
export * from './spi/tokens.js';
export * from './config/index.js';
export { Router, explainRoute, REJECT, type RouteDecision, type RouteSource } from './routing/router.js';
export { MessageQueueManager, type MqmOptions } from './mqm/message-queue-manager.js';
export { IdMinter, NODE_ID_WIDTH, normalizeNodeId, type IdMinterOptions } from './mqm/id-minter.js';
export { Durability, type DurabilityOptions, type DurabilityStats } from './mqm/durability.js';
export { MARK_DELAY_MS } from './mqm/delivery-marks.js';
export { FlowController, defaultMemoryHighWaterMark, type FlowControlOptions, type FlowListener } from './mqm/flow-control.js';
export { holders, HOLDERS_SHARE } from './mqm/producer-pausing.js';
export { SecurityGate, ANONYMOUS } from './mqm/security-gate.js';
export { Broker, type BrokerOptions } from './kernel/broker.js';
export {
  ConnectionGovernor, DEFAULT_CONNECTION_LIMITS, addressKey,
  type ConnectionLimits, type ConnectionStats, type ConnectionTicket, type Endpoints, type ListenerGate,
} from './kernel/connection-limits.js';
export { SharedInputBudget, DEFAULT_INPUT_BUFFER_BYTES, defaultInputBufferBytes } from './kernel/input-budget.js';
export { loadPlugins, type LoadedPlugin } from './kernel/loader.js';
export { createLogger } from './kernel/logger.js';
export { isLoopback, type OpenListener } from './kernel/transports.js';
export { CORE_VERSION } from './version.js';
export { Deque } from './util/deque.js';
export { watchFile, type FileWatch } from './util/watch-file.js';
export { LiveFile, type LiveFileOptions } from './util/live-file.js';
export { ConsumerTable, type TableConsumer } from './util/consumer-table.js';
export { BatchedWriter, type BatchedWriterOptions } from './util/batched-writer.js';
export { injectable, inject, injectAll, type DependencyContainer, type InjectionToken } from 'tsyringe';
export type { Logger } from 'pino';
