/**
 * This package's conformance profile: what @wharf/testkit's describeQueueType needs to know about
 * the `topic` type (package.json `wharf.conformance`; `wharf plugin check` and the package's own
 * conformance test read it). Plain data, so the package needs no testkit at run time.
 */
export default {
  queueTypes: {
    topic: { holdsMessages: false, redelivers: false },
  },
};
