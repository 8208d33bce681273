import { describeProtocolAdapter } from '@wharf/testkit';
import stompPlugin from '../../src/index.js';
import { stompDriver } from './stomp-driver.js';

// The suite every protocol adapter passes; the docs' JSONL example runs the same one.
describeProtocolAdapter('stomp', {
  plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', stompPlugin],
  protocol: 'stomp',
  driver: stompDriver,
});
