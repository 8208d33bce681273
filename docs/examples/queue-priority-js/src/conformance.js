// @ts-check
/**
 * The conformance profile: what @wharf/testkit's describeQueueType needs to know about `priority`
 * that it cannot find out by itself. package.json names it (`"wharf": { "conformance": … }`), so
 * `wharf plugin check` runs the suite with it; test/conformance.test.js does too.
 */
// #region profile
export default {
  queueTypes: {
    priority: {
      holdsMessages: true,   // messages sent before the first subscriber wait for it
      redelivers: true,      // NACKed and unacknowledged messages come back, marked redelivered
      durable: true,         // persistent messages go through QueueContext.durable and restore()
      // settings that make it refuse (a full queue): a transaction it refuses part of applies nothing
      refusingSettings: { settings: { maxLength: 2, overflow: 'reject' }, accepts: 2 },
    },
  },
};
// #endregion profile
