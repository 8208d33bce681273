/**
 * Transports: core opens the sockets, so a protocol adapter only ever sees a Duplex stream and a
 * ConnectionInfo. TCP and TLS here; every listener binds where the config says (loopback unless
 * told otherwise).
 */
import { readFileSync, statSync } from 'node:fs';
import { createServer as createTcpServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { BrokerApi, ListenerConfig, ProtocolAdapter } from '../spi/protocol.js';
import type { ConnectionInfo, PeerCertificateInfo } from '../spi/security.js';
import type { ConnectionGovernor, ListenerGate } from './connection-limits.js';

export interface OpenListener {
  readonly config: ListenerConfig;
  readonly host: string;
  readonly port: number;
  /** `stomp+tcp://127.0.0.1:61613`, for logs. */
  readonly url: string;
  close(): Promise<void>;
}

export interface TransportContext {
  readonly configDir: string;
  readonly logger: Logger;
  readonly broker: BrokerApi;
  /** Connection limits per address and per state, asked at accept time (connection-limits.ts). */
  readonly connections: ConnectionGovernor;
  nextConnectionId(): string;
}

/** `stomp+tcp://127.0.0.1:61613`, for logs. */
export function listenerUrl(listener: ListenerConfig, transport: string, host: string, port: number, path = ''): string {
  return `${listener.protocol}+${transport}://${formatHost(host)}:${port}${path}`;
}

/**
 * Asks the governor about a socket just accepted, before TLS or any protocol byte: admitted, it gives
 * its place back when it closes; refused, it is closed at once (nothing is read or written).
 */
export function admitSocket(gate: ListenerGate, socket: Socket): boolean {
  const ticket = gate.admit(socket, () => socket.destroy());
  if (ticket === undefined) {
    socket.destroy();
    return false;
  }
  socket.once('close', () => ticket.release());
  return true;
}

function peerCertificate(socket: TLSSocket): PeerCertificateInfo | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  const subject: Record<string, string | string[]> = {};
  for (const [key, value] of Object.entries(cert.subject ?? {})) if (value !== undefined) subject[key] = value;
  return { subject, fingerprint256: cert.fingerprint256 };
}

export function connectionInfo(id: string, listener: ListenerConfig, socket: Socket, transport: string): ConnectionInfo {
  const secure = 'encrypted' in socket && (socket as TLSSocket).encrypted === true;
  return {
    id,
    protocol: listener.protocol,
    transport,
    remoteAddress: socket.remoteAddress ?? 'unknown',
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    secure,
    peerCertificate: secure ? peerCertificate(socket as TLSSocket) : undefined,
  };
}

function readPem(configDir: string, file: string | undefined, what: string): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(resolve(configDir, file));
  } catch (err) {
    throw new WharfError(ErrorCodes.CONFIG, `cannot read the TLS ${what} file ${resolve(configDir, file)}`, {
      cause: err, hint: 'paths in tls are relative to the config file',
    });
  }
}

/**
 * A TLS listener's cert, key and CA, read relative to the config file (TCP and WebSocket alike);
 * a key open to group or others is warned about once, as the listener opens.
 */
export function readTlsFiles(
  tls: { readonly cert?: string; readonly key?: string; readonly ca?: string }, ctx: Pick<TransportContext, 'configDir' | 'logger'>,
): { cert: Buffer | undefined; key: Buffer | undefined; ca: Buffer | undefined } {
  const key = readPem(ctx.configDir, tls.key, 'key');
  if (key !== undefined) warnIfKeyNotPrivate(resolve(ctx.configDir, tls.key!), ctx.logger);
  return { cert: readPem(ctx.configDir, tls.cert, 'cert'), key, ca: readPem(ctx.configDir, tls.ca, 'ca') };
}

/**
 * Like ssh's "UNPROTECTED PRIVATE KEY FILE": a TLS private key open to group or others is logged once,
 * when the listener opens, with the fix. A warning, not a refusal (docs/security.md, "Files"): the key
 * is already exposed by then, and refusing would turn a deploy's umask slip into an outage. Skipped on
 * Windows, which has no POSIX modes (node reports 0666 for every file).
 */
export function warnIfKeyNotPrivate(keyFile: string, logger: Logger): boolean {
  if (process.platform === 'win32') return false;
  const mode = statSync(keyFile).mode & 0o777;
  if ((mode & 0o077) === 0) return false;
  const octal = mode.toString(8).padStart(4, '0');
  logger.warn({ file: keyFile, mode: octal, fix: `chmod 600 ${keyFile}` },
    `UNPROTECTED PRIVATE KEY FILE: ${keyFile} is mode ${octal}, open to group or others; run: chmod 600 ${keyFile}`);
  return true;
}

/**
 * Sockets are accepted half-open capable (`allowHalfOpen`): when a client ends its side, the
 * socket's writable side stays open so the adapter can still answer what the client sent before
 * its end (a client may pipeline CONNECT, SENDs and DISCONNECT, then half-close, while its CONNECT
 * is still being authenticated) and then end the stream itself. Node's default would end the
 * socket at once, and every answer written after that is lost. An adapter that never ends a
 * half-closed stream has it destroyed this long after the client's end.
 */
const HALF_OPEN_GRACE_MS = 30_000;

/** Opens one TCP or TLS listener and hands each connection to the adapter. */
export async function openSocketListener(
  listener: ListenerConfig, adapter: ProtocolAdapter, ctx: TransportContext,
): Promise<OpenListener> {
  const sockets = new Set<Socket>();
  const gate = ctx.connections.listener(listenerUrl(listener, listener.transport, listener.host, listener.port));
  const onSocket = (socket: Socket, transport: string): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    // Sockets are half-open capable (see HALF_OPEN_GRACE_MS); this bounds how long one may stay so.
    socket.once('end', () => {
      const timer = setTimeout(() => socket.destroy(), HALF_OPEN_GRACE_MS).unref();
      socket.once('close', () => clearTimeout(timer));
    });
    // Errors on one client's socket (resets, bad TLS) concern that client only.
    socket.on('error', (err) => ctx.logger.debug({ err: err.message, transport }, 'client socket error'));
    socket.setNoDelay(true);
    try {
      adapter.accept(socket, connectionInfo(ctx.nextConnectionId(), listener, socket, transport), ctx.broker, listener);
    } catch (err) {
      ctx.logger.error({ err, protocol: listener.protocol }, 'protocol adapter failed to accept a connection');
      socket.destroy();
    }
  };
  let server: Server;
  if (listener.transport === 'tls') {
    const tls = listener.tls!;
    server = createTlsServer({
      ...readTlsFiles(tls, ctx),
      requestCert: tls.requestCert === true,
      rejectUnauthorized: false, // an unverified certificate simply does not authenticate anyone
      allowHalfOpen: true,
    }, (socket) => onSocket(socket, 'tls'));
    // The raw TCP socket, before the handshake: a refused one never costs a handshake.
    server.on('connection', (raw: Socket) => admitSocket(gate, raw));
    server.on('tlsClientError', (err) => ctx.logger.debug({ err: err.message }, 'TLS handshake failed'));
  } else {
    server = createTcpServer({ allowHalfOpen: true }, (socket) => {
      if (admitSocket(gate, socket)) onSocket(socket, 'tcp');
    });
  }
  await listen(server, listener);
  const address = server.address() as AddressInfo;
  const url = listenerUrl(listener, listener.transport, address.address, address.port);
  gate.named(url);
  return {
    config: listener,
    host: address.address,
    port: address.port,
    url,
    close: () => closeServer(server, sockets),
  };
}

export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function listen(server: Server, listener: ListenerConfig): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new WharfError(ErrorCodes.CONFIG, `cannot listen on ${listener.host}:${listener.port} for ${listener.protocol}: ${err.code ?? err.message}`, {
        cause: err,
        hint: err.code === 'EADDRINUSE' ? 'another process uses this port: stop it or choose another port'
          : 'check the host and port of this listener',
      }));
    };
    server.once('error', onError);
    server.listen(listener.port, listener.host, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
}

export function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    for (const socket of sockets) socket.destroy();
  });
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.') || host === '::ffff:127.0.0.1';
}
