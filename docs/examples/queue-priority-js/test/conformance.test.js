// @ts-check
/** The conformance suite every queue type passes, first-party or not, with this package's profile. */
// #region conformance
import { describeQueueType } from '@wharf/testkit';
import profile from '../src/conformance.js';
import priorityPlugin from '../src/index.js';

describeQueueType('priority (docs example, JavaScript)', {
  ...profile.queueTypes.priority,
  plugins: [priorityPlugin],
  type: 'priority',
  destination: (i) => `/priority/conformance-${i}`,
});
// #endregion conformance
