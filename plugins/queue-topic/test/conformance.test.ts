import { describeQueueType } from '@wharf/testkit';
import topicPlugin from '../src/index.js';

describeQueueType('topic', {
  plugins: [topicPlugin],
  type: 'topic',
  destination: (i) => `/topic/conf-${i}`,
  holdsMessages: false,
});
