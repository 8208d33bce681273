/**
 * Writes are batched per tick: a burst of deliveries in one tick reaches the stream as one write.
 * Driven over an in-memory duplex, so every write the adapter makes can be counted.
 */
import { expect } from 'chai';
import type { Duplex } from 'node:stream';
import type { ListenerConfig } from '@wharf/core';
import { connectClient, memoryDuplexPair, startTestBroker, testConnection } from '@wharf/testkit';
import jsonlPlugin, { DEFAULT_JSONL_OPTIONS } from '../src/index.js';
import { LineReader } from '../src/line-reader.js';

const LISTENER: ListenerConfig = { protocol: 'jsonl', transport: 'tcp', host: '127.0.0.1', port: 0, options: { ...DEFAULT_JSONL_OPTIONS } };

function readLines(stream: Duplex): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  const reader = new LineReader(1 << 20, (l) => lines.push(JSON.parse(l.toString()) as Record<string, unknown>));
  stream.on('data', (chunk: Buffer) => reader.push(chunk));
  return lines;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).to.equal(true);
}

describe('jsonl adapter: output', () => {
  it('writes a burst of deliveries made in one tick as one write', async () => {
    const broker = await startTestBroker({ plugins: ['@wharf/queue-topic', jsonlPlugin], routing: { prefixes: {} } });
    try {
      const [server, client] = memoryDuplexPair();
      let writes = 0;
      const write = server.write.bind(server);
      server.write = ((...args: Parameters<Duplex['write']>) => { writes++; return write(...args); }) as Duplex['write'];
      broker.protocols.adapters.get('jsonl')!.accept(server, testConnection({ protocol: 'jsonl' }), broker.mqm, LISTENER);
      const lines = readLines(client);
      client.write('{"op":"connect"}\n{"op":"subscribe","destination":"/topic/burst","id":"s","receipt":"ready"}\n');
      await until(() => lines.some((l) => l.op === 'receipt'));
      writes = 0;
      const publisher = await connectClient(broker);
      for (let i = 0; i < 100; i++) await publisher.send('/topic/burst', `m${i}`);
      await until(() => lines.length === 102);
      expect(writes, '100 message lines, one write').to.equal(1);
      expect(lines.slice(2).map((l) => Buffer.from(String(l.body), 'base64').toString())).to.deep.equal(Array.from({ length: 100 }, (_, i) => `m${i}`));
    } finally {
      await broker.stop();
    }
  });
});
