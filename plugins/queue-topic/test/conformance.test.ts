import { describeQueueType } from '@wharf/testkit';
import profile from '../src/conformance.js';
import topicPlugin from '../src/index.js';

// The options are the package's conformance profile (src/conformance.ts), which `wharf plugin check` reads too.
describeQueueType('topic', {
  ...profile.queueTypes.topic,
  plugins: [topicPlugin],
  type: 'topic',
  destination: (i) => `/topic/conf-${i}`,
});
