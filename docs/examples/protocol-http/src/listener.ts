/**
 * One `http` listener: a `node:http` Server that never listens itself. Core accepts each
 * connection (TCP, TLS, WebSocket or any Duplex) and hands it to the adapter, which hands it to the
 * server with `server.emit('connection', stream)`: the documented way to give an http.Server a
 * connection it did not accept, with any Duplex stream (Node's http docs, event 'connection';
 * generic Duplex streams are supported since Node 9, nodejs/node#16267). Node then parses
 * requests, keeps connections alive and pipelines exactly as on a socket of its own; the
 * transports test runs it on TCP, TLS, WebSocket and in-memory streams.
 *
 * What a server that never listens does not do: the headers and request timeouts (checked by a
 * timer that starts on 'listening') and, on streams that are not sockets, the keep-alive timeout
 * (socket.setTimeout). The idle timer here covers all three for every kind of stream.
 */
import { STATUS_CODES, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { BrokerApi, ConnectionInfo, Logger } from '@wharf/core';
import { asClientError } from './errors.js';
import { Exchange } from './exchange.js';
import type { HttpOptions } from './options.js';
import { shuttingDown, Poll, type PollGate } from './poll.js';
import { publish } from './publish.js';
import { parseEndpoint } from './request.js';

interface Connection {
  readonly info: ConnectionInfo;
  /** Requests seen: numbers each request's session. */
  requests: number;
  inFlight: number;
  idle: NodeJS.Timeout | undefined;
}

export class HttpListener implements PollGate {
  readonly open = new Set<Poll>();
  private readonly server: Server;
  private readonly connections = new Map<Duplex, Connection>();

  constructor(private readonly broker: BrokerApi, private readonly options: HttpOptions, private readonly logger: Logger) {
    this.server = createServer((req, res) => this.onRequest(req, res));
    this.server.keepAliveTimeout = options.idleTimeoutMs;
    // A request Node cannot parse: a JSON 400 (431 for headers too large), then the close.
    this.server.on('clientError', (err: NodeJS.ErrnoException, stream: Duplex) => {
      if (!stream.writable || err.code === 'ECONNRESET') return void stream.destroy();
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body = JSON.stringify({ error: { code: 'WHARF_ERR_PROTOCOL', message: `malformed HTTP request (${err.code ?? err.message})`, hint: 'send HTTP/1.1 requests' } });
      stream.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    });
  }

  serve(stream: Duplex, info: ConnectionInfo): void {
    const connection: Connection = { info, requests: 0, inFlight: 0, idle: undefined };
    this.connections.set(stream, connection);
    stream.on('error', (err: Error) => this.logger.debug({ connection: info.id, err: err.message }, 'HTTP connection error'));
    stream.once('close', () => {
      clearTimeout(connection.idle);
      this.connections.delete(stream);
    });
    this.armIdle(stream, connection);
    this.server.emit('connection', stream);
  }

  /** The broker is stopping: waiting polls are answered 503, idle connections closed. */
  async shutdown(): Promise<void> {
    const answered: Array<Promise<unknown>> = [];
    for (const poll of [...this.open]) answered.push(poll.shutdown(shuttingDown()));
    await Promise.all(answered);
    for (const [stream, connection] of this.connections) if (connection.inFlight === 0) stream.end();
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const stream = req.socket as Duplex;
    const connection = this.connections.get(stream);
    if (connection === undefined) return void res.destroy();
    connection.inFlight++;
    clearTimeout(connection.idle);
    res.once('close', () => {
      if (--connection.inFlight === 0) this.armIdle(stream, connection);
    });
    // Core names a session after its connection and allows one per connection id at a time; pipelined
    // requests of one connection are open at once, so each request's session gets its own id.
    const info: ConnectionInfo = { ...connection.info, id: `${connection.info.id}.${++connection.requests}` };
    const exchange = new Exchange(req, res, info, this.broker, this.options, this.logger);
    this.handle(exchange).catch((err: unknown) => {
      const error = asClientError(err);
      if (error.cause !== undefined) this.logger.error({ err: error.cause, connection: connection.info.id }, 'HTTP request failed');
      exchange.fail(error);
    });
  }

  private async handle(exchange: Exchange): Promise<void> {
    const endpoint = parseEndpoint(exchange.req, this.options);
    if (endpoint.op === 'publish') await publish(exchange, endpoint);
    else await new Poll(exchange, endpoint, this).run();
  }

  /** No request in flight: the connection has idleTimeoutMs to start one (headers included). */
  private armIdle(stream: Duplex, connection: Connection): void {
    clearTimeout(connection.idle);
    connection.idle = setTimeout(() => {
      if (connection.inFlight > 0) return;
      this.logger.debug({ connection: connection.info.id }, 'closing an idle HTTP connection');
      stream.destroy();
    }, this.options.idleTimeoutMs).unref();
  }
}
