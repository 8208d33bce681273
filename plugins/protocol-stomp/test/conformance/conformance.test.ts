import { describeProtocolAdapter } from '@wharf/testkit';
import stompPlugin from '../../src/index.js';
import profile from '../../src/conformance.js';

// The suite every protocol adapter passes, with this package's profile (its STOMP driver), as
// `wharf plugin check` runs it; the docs' JSONL example runs the same one.
describeProtocolAdapter('stomp', {
  plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', stompPlugin],
  protocol: 'stomp',
  ...profile.protocols.stomp,
});
