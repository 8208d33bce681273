/** The STOMP protocol adapter: one StompConnection per accepted stream, counted per listener. */
import type { Duplex } from 'node:stream';
import { ErrorCodes, WharfError, type BrokerApi, type ConnectionInfo, type ListenerConfig, type Logger, type ProtocolAdapter } from '@wharf/core';
import { StompConnection } from './connection.js';
import { limitError } from './errors.js';
import { IdleSweep } from './idle.js';
import { largestFrameBytes } from './input-limits.js';
import { resolveStompOptions, stompOptionsSchema, type StompListenerOptions, type StompOptions } from './options.js';

export class StompAdapter implements ProtocolAdapter {
  readonly protocol = 'stomp';
  readonly listenerOptionsSchema = stompOptionsSchema;
  /** STOMP over WebSocket sub-protocol names, newest first. */
  readonly webSocketProtocols = ['v12.stomp', 'v11.stomp', 'v10.stomp'];
  private readonly connections = new Set<StompConnection>();
  private readonly perListener = new Map<ListenerConfig | undefined, number>();
  /** Each listener's options, resolved once (defaults, the heart-beat offer); no listener: the defaults. */
  private readonly resolved = new WeakMap<ListenerConfig, StompOptions>();
  private readonly defaults = resolveStompOptions(undefined);
  /** The idle limit's one timer, over every connection of every listener (idle.ts). */
  private readonly idle = new IdleSweep(this.connections);

  constructor(private readonly logger: Logger) {}

  /** A WebSocket message holds at most one whole frame at the listener's limits (core sets ws's maxPayload). */
  maxInputMessageBytes(listener: ListenerConfig): number {
    return largestFrameBytes(this.optionsFor(listener));
  }

  accept(stream: Duplex, connection: ConnectionInfo, broker: BrokerApi, listener?: ListenerConfig): void {
    const options = this.optionsFor(listener);
    this.idle.cover(options.idleTimeoutMs);
    const open = this.perListener.get(listener) ?? 0;
    const conn = new StompConnection(stream, connection, broker, options, this.logger, () => {
      this.connections.delete(conn);
      this.perListener.set(listener, (this.perListener.get(listener) ?? 1) - 1);
    });
    this.connections.add(conn);
    this.perListener.set(listener, open + 1);
    if (open >= options.maxConnections) {
      conn.fail(limitError('maxConnections', `too many connections on this listener (${open})`));
    }
  }

  private optionsFor(listener: ListenerConfig | undefined): StompOptions {
    let options = listener === undefined ? this.defaults : this.resolved.get(listener);
    if (options === undefined) {
      options = resolveStompOptions(listener!.options as StompListenerOptions);
      this.resolved.set(listener!, options);
    }
    return options;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async shutdown(): Promise<void> {
    this.idle.stop();
    const reason = new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    for (const conn of [...this.connections]) conn.fail(reason);
  }
}
