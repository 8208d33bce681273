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

// The same contract with paging as eager as it gets: with a store (the durability checks), every
// message past the first few KB in memory goes to the spill file and comes back from it.
describeQueueType('queue (paging past 1 byte)', {
  ...profile.queueTypes.queue,
  plugins: [queuePlugin],
  type: 'queue',
  settings: { pageOutBytes: 1 },
  destination: (i) => `/queue/conf-paged-${i}`,
});
