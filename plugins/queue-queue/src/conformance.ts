/**
 * This package's conformance profile: what @wharf/testkit's describeQueueType needs to know about
 * the `queue` type (package.json `wharf.conformance`; `wharf plugin check` and the package's own
 * conformance test read it). Plain data, so the package needs no testkit at run time.
 */
export default {
  queueTypes: {
    queue: {
      holdsMessages: true,
      redelivers: true,
      durable: true,
      highWaterMark: { settings: { highWaterMarkBytes: 8192 }, bytes: 8192 },
      // A full queue refuses a send: the suite checks a transaction it refuses part of applies nothing.
      refusingSettings: { settings: { maxLength: 2, overflow: 'reject' }, accepts: 2 },
    },
  },
};
