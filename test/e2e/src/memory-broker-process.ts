/**
 * A broker in a process of its own, for the memory attack test (its resident memory is measured apart from the
 * attackers'): every first-party queue type, STOMP on TCP and WebSocket on ephemeral loopback ports, the `limits`
 * given as JSON in the first argument. Run with an IPC channel (child_process.fork): it sends
 * `{ tcpPort, wsUrl }` once it listens, and answers every `'measure'` with `{ rss, inputUsed, inputWaiting }`
 * after a garbage collection when `--expose-gc` is on.
 *
 *   fork('test/e2e/dist/memory-broker-process.js', ['{"inputBufferBytes":67108864}'], { execArgv: ['--expose-gc'] })
 */
import { Broker, createLogger } from '@wharf/core';
import { STANDARD_PLUGINS } from './broker.js';

export interface Measure {
  readonly rss: number;
  readonly inputUsed: number;
  readonly inputWaiting: number;
}

const limits = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const broker = await Broker.create({
  plugins: [...STANDARD_PLUGINS],
  listeners: [
    { protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0 },
    { protocol: 'stomp', transport: 'ws', host: '127.0.0.1', port: 0, path: '/ws' },
  ],
  limits,
}, { logger: createLogger(process.env.WHARF_TEST_LOG ?? 'silent', process.stderr) });
await broker.start();
const [tcp, ws] = broker.listeners;
process.send!({ tcpPort: tcp!.port, wsUrl: `ws://127.0.0.1:${ws!.port}/ws` });
process.on('message', (message) => {
  if (message === 'measure') {
    (globalThis as { gc?: () => void }).gc?.();
    const measure: Measure = { rss: process.memoryUsage.rss(), inputUsed: broker.inputBudget.used, inputWaiting: broker.inputBudget.waiting };
    process.send!(measure);
  } else if (message === 'stop') {
    void broker.stop().then(() => process.exit(0));
  }
});
