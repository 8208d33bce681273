/** The HTTP protocol adapter: one HttpListener (a node:http Server) per `http` listener of the config. */
import type { Duplex } from 'node:stream';
import type { BrokerApi, ConnectionInfo, ListenerConfig, Logger, ProtocolAdapter } from '@wharf/core';
import { HttpListener } from './listener.js';
import { DEFAULT_HTTP_OPTIONS, httpOptionsSchema, type HttpOptions } from './options.js';

export class HttpAdapter implements ProtocolAdapter {
  readonly protocol = 'http';
  readonly listenerOptionsSchema = httpOptionsSchema;
  /** Core hands over the same ListenerConfig object with every connection of a listener. */
  private readonly listeners = new Map<ListenerConfig, HttpListener>();

  constructor(private readonly logger: Logger) {}

  accept(stream: Duplex, connection: ConnectionInfo, broker: BrokerApi, listener: ListenerConfig): void {
    let served = this.listeners.get(listener);
    if (served === undefined) {
      // Core validated the listener's options against the schema and filled in its defaults.
      const options: HttpOptions = { ...DEFAULT_HTTP_OPTIONS, ...(listener.options as Partial<HttpOptions>) };
      served = new HttpListener(broker, options, this.logger);
      this.listeners.set(listener, served);
    }
    served.serve(stream, connection);
  }

  async shutdown(): Promise<void> {
    await Promise.all([...this.listeners.values()].map((listener) => listener.shutdown()));
  }
}
