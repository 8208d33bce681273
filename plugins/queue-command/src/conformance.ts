/**
 * This package's conformance profile (package.json `wharf.conformance`). The queue suite checks
 * what subscribers get; nobody subscribes to a command destination (attach refuses with
 * NOT_SUBSCRIBABLE: a command's result goes to its reply-to), so `wharf plugin check` runs no
 * suite for it and says why. The command verbs are checked by this package's own tests.
 */
export default {
  queueTypes: {
    command: {
      nothingToCheck: 'nobody subscribes to a command destination (commands are sent to it; results go to reply-to); its verbs are checked by @wharf/queue-command\'s own tests',
    },
  },
};
