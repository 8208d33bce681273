import { describeProtocolAdapter } from '@wharf/testkit';
import jsonlPlugin from '../src/index.js';
import { jsonlDriver } from './driver.js';

// The same suite the STOMP adapter passes, through this package's own client.
describeProtocolAdapter('jsonl (docs example)', {
  plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', jsonlPlugin],
  protocol: 'jsonl',
  driver: jsonlDriver,
});
