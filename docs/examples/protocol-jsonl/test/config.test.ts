/** The adapter loads from its folder through the config file next to it, as `wharf start` would. */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { loadConfig } from '@wharf/config';
import { JsonlClient } from '../src/client.js';

describe('jsonl adapter: loaded by config', () => {
  it('is loaded from its folder by wharf.config.yaml and serves its listener', async () => {
    const configPath = fileURLToPath(new URL('../../wharf.config.yaml', import.meta.url));
    const loaded = await loadConfig({ configPath });
    expect(loaded.config.listeners.find((l) => l.protocol === 'jsonl')?.options).to.include({ maxLineBytes: 1048576 });
    // Ephemeral ports, so the test never collides with a running broker.
    const config = { ...loaded.config, listeners: loaded.config.listeners.map((l) => ({ ...l, port: 0 })) };
    const broker = await Broker.create(config, { source: loaded.source, logger: createLogger('silent') });
    await broker.start();
    try {
      expect(broker.plugins.map((p) => p.definition.name)).to.include('protocol-jsonl');
      const jsonl = broker.listeners.find((l) => l.config.protocol === 'jsonl')!;
      const client = await JsonlClient.connect(jsonl.port);
      await client.subscribe('/queue/billing', { id: 'billing' });
      await client.send('/pubsub/orders', 'order 1');
      const message = await client.nextMessage();
      expect(message?.body.toString()).to.equal('order 1');
      await client.close();
    } finally {
      await broker.stop();
    }
  });
});
