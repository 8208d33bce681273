/** The adapter against the broker's contracts: @wharf/testkit's suite, as every protocol adapter runs it. */
import { describeProtocolAdapter } from '@wharf/testkit';
import plugin from '../src/index.js';
import { driver } from '../src/client.js';

describeProtocolAdapter('__NAME__', {
  // The suite checks the adapter against the first-party queue, topic and pubsub types.
  plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', plugin],
  protocol: '__NAME__',
  driver,
});
