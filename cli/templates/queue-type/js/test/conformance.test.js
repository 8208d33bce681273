/** The queue type against the Destination contract: @wharf/testkit's suite, as every queue type runs it. */
import { describeQueueType } from '@wharf/testkit';
import plugin from '../src/index.js';
import profile from '../src/conformance.js';

describeQueueType('__NAME__', {
  plugins: [plugin],
  type: '__NAME__',
  destination: (n) => `/__NAME__/conformance-${n}`,
  holdsMessages: true,
  ...profile.queueTypes?.['__NAME__'],
});
