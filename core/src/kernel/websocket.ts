/**
 * The WebSocket transport: an HTTP(S) server with a WebSocket endpoint at the listener's path.
 * Each WebSocket becomes a Duplex byte stream for the adapter (ws's createWebSocketStream): a
 * protocol frame may span several WebSocket messages or share one, exactly as over TCP.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { WebSocket } from 'ws';
import { ErrorCodes, WharfError } from '../errors.js';
import type { ListenerConfig, ProtocolAdapter } from '../spi/protocol.js';
import {
  admitSocket, closeServer, connectionInfo, listen, listenerUrl, readTlsFiles, type OpenListener, type TransportContext,
} from './transports.js';

/**
 * Why an upgrade offering the `Sec-WebSocket-Protocol` header `asked` is refused by an endpoint that speaks
 * `spoken` (an HTTP 400 body), or undefined when it is accepted: a client that offers no sub-protocol is accepted,
 * one that offers some must offer one of ours.
 */
export function subProtocolRefusal(protocol: string, spoken: readonly string[], asked: string | undefined): string | undefined {
  if (asked === undefined || spoken.length === 0) return undefined;
  const names = asked.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (names.length === 0 || names.some((p) => spoken.includes(p))) return undefined;
  return `this ${protocol} WebSocket endpoint accepts the sub-protocols ${spoken.join(', ')} (or none); the request offered none of them\n`;
}

/** ws's `maxPayload` for adapters that do not say their largest input message. */
const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;
/** The largest value ws takes for `maxPayload` (it truncates the option to a 32-bit int). */
const MAX_WS_PAYLOAD = 2 ** 31 - 1;

export async function openWebSocketListener(
  listener: ListenerConfig, adapter: ProtocolAdapter, ctx: TransportContext,
): Promise<OpenListener> {
  // Loaded with the first WebSocket listener: a broker without one keeps ws out of its heap.
  const { WebSocketServer, createWebSocketStream } = await import('ws');
  const path = listener.path ?? '/';
  const tls = listener.tls;
  const server: HttpServer = tls
    ? createHttpsServer({
      ...readTlsFiles(tls, ctx),
      requestCert: tls.requestCert === true, rejectUnauthorized: false,
    })
    : createHttpServer();
  server.on('request', (_req, res) => {
    // Plain HTTP requests get a short answer instead of a hang.
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end(`this is a ${listener.protocol} WebSocket endpoint at ${path}\n`);
  });
  const offered = adapter.webSocketProtocols ?? [];
  const wss = new WebSocketServer({
    server,
    path,
    // RFC 6455 §4.2.2: the server picks one of the client's sub-protocols, best first by the adapter's order.
    handleProtocols: (protocols) => offered.find((p) => protocols.has(p)) ?? false,
    // ws would accept a list we share nothing with (answering with no sub-protocol): refuse it before the
    // upgrade instead, saying what is spoken. Runs after ws has checked the header's syntax.
    ...(offered.length === 0 ? {} : {
      verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, body?: string, headers?: Record<string, string>) => void) => {
        const refusal = subProtocolRefusal(listener.protocol, offered, info.req.headers['sec-websocket-protocol']);
        if (refusal === undefined) done(true);
        else {
          ctx.logger.debug({ protocol: listener.protocol, offered: info.req.headers['sec-websocket-protocol'] }, 'WebSocket upgrade refused: no shared sub-protocol');
          done(false, 400, refusal, { 'Content-Type': 'text/plain; charset=utf-8' });
        }
      },
    }),
    // The adapter's largest frame (STOMP: maxBodyBytes + header room): ws refuses a bigger message from its
    // length field (ws 8 lib/receiver.js haveLength: the fragments' lengths summed), before buffering it, with
    // close code 1009 (RFC 6455 §7.4.1). Not 64 MiB per message any more. ws reads the option as a 32-bit int
    // (`maxPayload | 0`, where 0 means no limit), so it is kept below 2^31.
    maxPayload: Math.min(adapter.maxInputMessageBytes?.(listener) ?? DEFAULT_MAX_PAYLOAD, MAX_WS_PAYLOAD),
    perMessageDeflate: false,
  });
  const sockets = new Set<Socket>();
  const transport = tls ? 'wss' : 'ws';
  const gate = ctx.connections.listener(listenerUrl(listener, transport, listener.host, listener.port, path));
  server.on('connection', (socket: Socket) => {
    // The raw TCP socket, before TLS and HTTP: the connection limits apply from here on.
    if (!admitSocket(gate, socket)) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    const socket = req.socket;
    const stream = createWebSocketStream(ws);
    stream.on('error', (err) => ctx.logger.debug({ err: err.message, transport }, 'client WebSocket error'));
    try {
      const info = connectionInfo(ctx.nextConnectionId(), listener, socket as Socket | TLSSocket, transport);
      adapter.accept(stream, info, ctx.broker, listener);
    } catch (err) {
      ctx.logger.error({ err, protocol: listener.protocol }, 'protocol adapter failed to accept a WebSocket');
      ws.terminate();
    }
  });
  await listen(server, listener);
  const address = server.address() as { address: string; port: number };
  const url = listenerUrl(listener, transport, address.address, address.port, path);
  gate.named(url);
  return {
    config: listener,
    host: address.address,
    port: address.port,
    url,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await closeServer(server, sockets);
    },
  };
}
