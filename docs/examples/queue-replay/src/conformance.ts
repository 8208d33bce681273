/**
 * The conformance profile of this package: what @wharf/testkit's describeQueueType needs to know
 * about `replay` (package.json `wharf.conformance`; `wharf plugin check` and the package's test
 * read it). It keeps messages for new subscribers (its history) and fans out like a topic; it
 * never redelivers.
 */
export default {
  queueTypes: {
    replay: { holdsMessages: true, redelivers: false, fanOut: true },
  },
};
