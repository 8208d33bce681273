import { describeProtocolAdapter } from '@wharf/testkit';
import httpPlugin from '../src/index.js';
import { httpDriver } from './driver.js';

// The request/response profile of the suite STOMP and JSONL pass, through this package's own client.
describeProtocolAdapter('http (docs example)', {
  profile: 'request-response',
  plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', httpPlugin],
  protocol: 'http',
  driver: httpDriver,
});
