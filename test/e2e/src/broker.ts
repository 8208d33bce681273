/**
 * A real broker for end-to-end tests: every first-party plugin loaded by package name (as a user's
 * config would), STOMP on TCP, WebSocket and TLS listeners bound to loopback on ephemeral ports.
 */
import { fileURLToPath } from 'node:url';
import { Broker, createLogger, type PluginEntry } from '@wharf/core';

export const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

export const STANDARD_PLUGINS: readonly PluginEntry[] = [
  '@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', '@wharf/queue-command', '@wharf/protocol-stomp',
];

export interface E2eBroker {
  readonly broker: Broker;
  readonly tcpPort: number;
  readonly wsUrl: string;
  readonly tlsPort: number;
  stop(): Promise<void>;
}

export async function startE2eBroker(extra: Record<string, unknown> = {}, stompOptions: Record<string, unknown> = {}): Promise<E2eBroker> {
  const level = process.env.WHARF_TEST_LOG ?? 'silent';
  const broker = await Broker.create({
    plugins: [...STANDARD_PLUGINS],
    listeners: [
      { protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0, options: stompOptions },
      { protocol: 'stomp', transport: 'ws', host: '127.0.0.1', port: 0, path: '/ws', options: stompOptions },
      {
        protocol: 'stomp', transport: 'tls', host: '127.0.0.1', port: 0, options: stompOptions,
        tls: { cert: 'tls/server.crt', key: 'tls/server.key', ca: 'tls/ca.crt', requestCert: true },
      },
    ],
    ...extra,
  }, { configDir: FIXTURES, logger: createLogger(level, process.stderr) });
  await broker.start();
  const [tcp, ws, tls] = broker.listeners;
  return {
    broker,
    tcpPort: tcp!.port,
    wsUrl: `ws://127.0.0.1:${ws!.port}/ws`,
    tlsPort: tls!.port,
    stop: () => broker.stop(),
  };
}
