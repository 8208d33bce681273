/** A broker for this package's own tests: the adapter on TCP (and TLS, WebSocket when asked), the testkit's users. */
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { TEST_USERS, testSecurityPlugin } from '@wharf/testkit';
import httpPlugin from '../src/index.js';
import { HttpBrokerClient } from '../src/client.js';

/** The e2e tests' certificates (test/e2e/fixtures/tls): paths in `tls` are relative to this folder. */
export const FIXTURES = fileURLToPath(new URL('../../../../../test/e2e/fixtures/', import.meta.url));
export const ALICE = { login: 'alice', passcode: TEST_USERS.alice!.passcode };
export const GUEST = { login: 'guest', passcode: TEST_USERS.guest!.passcode };

export async function startHttpBroker(options: Record<string, unknown> = {}, transports: ReadonlyArray<'tcp' | 'tls' | 'ws'> = ['tcp']): Promise<Broker> {
  const listener = (transport: 'tcp' | 'tls' | 'ws'): Record<string, unknown> => ({
    protocol: 'http', transport, host: '127.0.0.1', port: 0, options,
    ...(transport === 'tls' ? { tls: { cert: 'tls/server.crt', key: 'tls/server.key' } } : {}),
    ...(transport === 'ws' ? { path: '/http' } : {}),
  });
  const broker = await Broker.create({
    plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', httpPlugin, testSecurityPlugin()],
    listeners: transports.map(listener),
    routing: {
      // A queue that holds one message and refuses more: the 503 of an overflow.
      rules: [{ match: '^/queue/full$', type: 'queue', options: { maxLength: 1, overflow: 'reject' } }],
      prefixes: { '/queue/': 'queue', '/topic/': 'topic', '/pubsub/': 'pubsub' },
      fallback: 'reject',
    },
  }, { configDir: FIXTURES, logger: createLogger(process.env.WHARF_TEST_LOG ?? 'silent', process.stderr) });
  await broker.start();
  return broker;
}

export const alice = (broker: Broker, listener = 0): HttpBrokerClient => new HttpBrokerClient({ port: broker.listeners[listener]!.port, ...ALICE });
