/**
 * Broken: Destination.prepare checks a transaction's messages against maxLength as if the queue
 * were empty, forgetting the ones it holds; publish then refuses one during the COMMIT, after the
 * transaction's earlier operations took effect (a COMMIT half applied).
 */
import { ErrorCodes, WharfError, type Message } from '@wharf/core';
import { readQueueSettings } from '@wharf/queue-queue';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('prepare-ignores-held', (name, settings, ctx) => {
  const { maxLength, overflow } = readQueueSettings(name, settings);
  return new class extends WrappedDestination {
    override prepare(messages: readonly Message[]) {
      if (maxLength === undefined || overflow !== 'reject' || messages.length <= maxLength) return;
      throw new WharfError(ErrorCodes.OVERFLOW, `queue ${name} is full: its maxLength is ${maxLength}`, { details: { index: maxLength } });
    }
  }(realQueue(name, settings, ctx));
});
