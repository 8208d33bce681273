import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { loadConfig } from '@wharf/config';
import { connectClient, describeQueueType, settle, startTestBroker } from '@wharf/testkit';
import profile from '../src/conformance.js';
import replayPlugin from '../src/index.js';

// The same conformance suite every queue type passes, with this package's profile (src/conformance.ts).
describeQueueType('replay (docs example)', {
  ...profile.queueTypes.replay,
  plugins: [replayPlugin],
  type: 'replay',
  destination: (i) => `/replay/conformance-${i}`,
});

describe('replay queue type', () => {
  it('replays the last `history` messages to each new subscriber, then goes on live', async () => {
    const broker = await startTestBroker({
      plugins: [replayPlugin],
      routing: { rules: [{ match: '^/replay/', type: 'replay', options: { history: 2 } }], prefixes: {}, fallback: 'reject' },
    });
    try {
      const client = await connectClient(broker);
      for (const body of ['a', 'b', 'c']) await client.send('/replay/prices', body);
      const late = client.subscribe('/replay/prices').consumer;
      expect(late.bodies).to.deep.equal(['b', 'c']);
      await client.send('/replay/prices', 'd');
      await settle();
      expect(late.bodies).to.deep.equal(['b', 'c', 'd']);
      const later = client.subscribe('/replay/prices').consumer;
      expect(later.bodies).to.deep.equal(['c', 'd']);
    } finally {
      await broker.stop();
    }
  });

  it('is loaded from its folder by the config file next to it, routed by a regex rule', async () => {
    const configPath = fileURLToPath(new URL('../../wharf.config.yaml', import.meta.url));
    const loaded = await loadConfig({ configPath });
    const broker = await Broker.create(loaded.config, { source: loaded.source, logger: createLogger('silent') });
    await broker.start();
    try {
      expect(broker.plugins.map((p) => p.definition.name)).to.include('queue-replay');
      const client = await connectClient(broker);
      for (const body of ['1', '2', '3', '4']) await client.send('/replay/ticks', body);
      expect(broker.mqm.destinationStats('/replay/ticks').type).to.equal('replay');
      expect(client.subscribe('/replay/ticks').consumer.bodies).to.deep.equal(['2', '3', '4']);
      expect(broker.router.route('/queue/other').type).to.equal('queue');
    } finally {
      await broker.stop();
    }
  });
});
