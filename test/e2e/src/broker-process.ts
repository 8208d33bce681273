/**
 * A broker in a process of its own, for the crash test: every first-party queue type, STOMP on an
 * ephemeral loopback port, durable queues in the SQLite file named by the first argument.
 * Prints `{"port":<n>}` on a line once it listens; stops cleanly on SIGTERM (SIGKILL is the test).
 *
 *   node test/e2e/dist/broker-process.js /tmp/x/wharf.db
 */
import { Broker, createLogger } from '@wharf/core';
import { STANDARD_PLUGINS } from './broker.js';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: broker-process <sqlite file>\n');
  process.exit(2);
}

const broker = await Broker.create({
  plugins: [...STANDARD_PLUGINS, { use: '@wharf/store-sqlite', options: { path } }],
  listeners: [{ protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0 }],
  store: { use: 'sqlite' },
}, { logger: createLogger(process.env.WHARF_TEST_LOG ?? 'silent', process.stderr) });
await broker.start();
process.stdout.write(`${JSON.stringify({ port: broker.listeners[0]!.port })}\n`);
process.once('SIGTERM', () => {
  void broker.stop().then(() => process.exit(0));
});
