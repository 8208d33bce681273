/**
 * __PACKAGE__: the Wharf protocol "__NAME__", a small line protocol over TCP (wire.ts says it all).
 * Listen with it by naming it in a listener (see README.md); src/client.ts is a client for it.
 */
import type { Duplex } from 'node:stream';
import { ErrorCodes, WharfError, definePlugin, type BrokerApi, type ConnectionInfo, type ListenerConfig, type ProtocolAdapter } from '@wharf/core';
import { LineConnection, type ListenerOptions } from './connection.js';

const DEFAULTS: ListenerOptions = { maxLineBytes: 8 * 1024 * 1024, writeHighWaterMark: 1024 * 1024 };

export class LineProtocolAdapter implements ProtocolAdapter {
  readonly protocol = '__NAME__';
  /** A listener's `options`, checked by the broker at start (defaults applied). */
  readonly listenerOptionsSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxLineBytes: { type: 'integer', minimum: 1024, default: DEFAULTS.maxLineBytes, description: 'longest line accepted, in bytes' },
      writeHighWaterMark: { type: 'integer', minimum: 1024, default: DEFAULTS.writeHighWaterMark, description: 'bytes queued for one client before delivery to it pauses' },
    },
  };
  private readonly connections = new Set<LineConnection>();

  accept(stream: Duplex, connection: ConnectionInfo, broker: BrokerApi, listener: ListenerConfig): void {
    const options = { ...DEFAULTS, ...(listener.options as Partial<ListenerOptions>) };
    const conn = new LineConnection(stream, connection, broker, options, () => this.connections.delete(conn));
    this.connections.add(conn);
  }

  /** The broker stops: every client gets an ERR line saying so, then the close. */
  async shutdown(): Promise<void> {
    const reason = new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    for (const conn of [...this.connections]) conn.fail(reason);
  }
}

export default definePlugin(
  { kind: 'protocol', name: '__PACKAGE__', core: '__CORE_RANGE__', description: 'a small line protocol over TCP' },
  (ctx) => ctx.protocol(new LineProtocolAdapter()),
);
