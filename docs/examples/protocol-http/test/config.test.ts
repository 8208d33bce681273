/** The adapter loads from its folder through the config file next to it, as `wharf start` would. */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { loadConfig } from '@wharf/config';
import { HttpBrokerClient } from '../src/client.js';

describe('http adapter: loaded by config', () => {
  it('is loaded from its folder by wharf.config.yaml, with its listener options checked', async () => {
    const configPath = fileURLToPath(new URL('../../wharf.config.yaml', import.meta.url));
    const loaded = await loadConfig({ configPath });
    expect(loaded.config.listeners.find((l) => l.protocol === 'http')?.options).to.include({ maxBodyBytes: 1048576, maxConcurrentPolls: 200 });
    // Ephemeral ports, so the test never collides with a running broker.
    const config = { ...loaded.config, listeners: loaded.config.listeners.map((l) => ({ ...l, port: 0 })) };
    const broker = await Broker.create(config, { source: loaded.source, logger: createLogger('silent') });
    await broker.start();
    try {
      expect(broker.plugins.map((p) => p.definition.name)).to.include('protocol-http');
      const http = broker.listeners.find((l) => l.config.protocol === 'http')!;
      // The broker filled in the schema's defaults beside what the file sets.
      expect(http.config.options).to.include({ maxBodyBytes: 1048576, maxConcurrentPolls: 200, maxWaitMs: 30000 });
      const client = new HttpBrokerClient({ port: http.port });
      await client.publish('/pubsub/orders', 'order 1');
      expect((await client.poll('/queue/billing')).map((m) => m.body.toString())).to.deep.equal(['order 1']);
    } finally {
      await broker.stop();
    }
  });

  it('refuses a misspelt listener option at start, naming it', async () => {
    const error = await Broker.create({
      plugins: ['./'],
      listeners: [{ protocol: 'http', host: '127.0.0.1', port: 0, options: { maxBodyByte: 10 } }],
    }, { configDir: fileURLToPath(new URL('../../', import.meta.url)), logger: createLogger('silent') }).then(() => undefined, (err: Error) => err);
    expect(error?.message).to.match(/maxBodyByte/);
  });
});
