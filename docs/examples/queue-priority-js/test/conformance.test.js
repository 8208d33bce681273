// @ts-check
/** The conformance suite every queue type passes, first-party or not. */
import { describeQueueType } from '@wharf/testkit';
import priorityPlugin from '../src/index.js';

// #region conformance
describeQueueType('priority (docs example, JavaScript)', {
  plugins: [priorityPlugin],
  type: 'priority',
  destination: (i) => `/priority/conformance-${i}`,
  holdsMessages: true,   // messages sent before the first subscriber wait for it
  redelivers: true,      // unacknowledged messages come back when their subscriber leaves
});
// #endregion conformance
