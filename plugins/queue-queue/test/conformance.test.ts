import { describeQueueType } from '@wharf/testkit';
import queuePlugin from '../src/index.js';

describeQueueType('queue', {
  plugins: [queuePlugin],
  type: 'queue',
  destination: (i) => `/queue/conf-${i}`,
  holdsMessages: true,
  redelivers: true,
});
