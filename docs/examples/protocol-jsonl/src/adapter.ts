/** The JSONL protocol adapter: one JsonlConnection per stream core accepted on a `jsonl` listener. */
import type { Duplex } from 'node:stream';
import { ErrorCodes, WharfError, type BrokerApi, type ConnectionInfo, type ListenerConfig, type Logger, type ProtocolAdapter } from '@wharf/core';
import { JsonlConnection } from './connection.js';
import { DEFAULT_JSONL_OPTIONS, jsonlOptionsSchema, type JsonlOptions } from './options.js';

export class JsonlAdapter implements ProtocolAdapter {
  readonly protocol = 'jsonl';
  readonly listenerOptionsSchema = jsonlOptionsSchema;
  private readonly connections = new Set<JsonlConnection>();

  constructor(private readonly logger: Logger) {}

  accept(stream: Duplex, connection: ConnectionInfo, broker: BrokerApi, listener: ListenerConfig): void {
    // Core validated the listener's options against the schema and filled in its defaults.
    const options: JsonlOptions = { ...DEFAULT_JSONL_OPTIONS, ...(listener.options as Partial<JsonlOptions>) };
    const conn = new JsonlConnection(stream, connection, broker, options, this.logger, () => this.connections.delete(conn));
    this.connections.add(conn);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** The broker is stopping: every client gets an error line saying so before its stream closes. */
  async shutdown(): Promise<void> {
    const reason = new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    for (const conn of [...this.connections]) conn.fail(reason);
  }
}
