import { describeQueueType } from '@wharf/testkit';
import profile from '../src/conformance.js';
import queuePlugin from '../src/index.js';

// The options are the package's conformance profile (src/conformance.ts), which `wharf plugin check` reads too.
describeQueueType('queue', {
  ...profile.queueTypes.queue,
  plugins: [queuePlugin],
  type: 'queue',
  destination: (i) => `/queue/conf-${i}`,
});
