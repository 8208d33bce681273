/**
 * This package's conformance profile (package.json `wharf.conformance`). The queue suite checks
 * what subscribers get; nobody subscribes to a pubsub (attach refuses with NOT_SUBSCRIBABLE: its
 * children are subscribed to), so `wharf plugin check` runs no suite for it and says why. What a
 * pubsub feeds its children is checked by this package's own tests, and by the queue suite of the
 * child types (their `sendTo` option).
 */
export default {
  queueTypes: {
    pubsub: {
      nothingToCheck: 'nobody subscribes to a pubsub (its children are subscribed to); the copies it feeds them are checked by @wharf/queue-pubsub\'s own tests',
    },
  },
};
