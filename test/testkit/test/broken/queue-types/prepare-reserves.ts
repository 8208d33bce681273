/**
 * Broken: Destination.prepare reserves room for a transaction's messages and never gives it back:
 * after a prepare (a COMMIT that failed elsewhere, or one that succeeded) the queue refuses sends
 * it has room for.
 */
import { ErrorCodes, WharfError, type Message, type SessionInfo } from '@wharf/core';
import { readQueueSettings } from '@wharf/queue-queue';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('prepare-reserves', (name, settings, ctx) => {
  const { maxLength } = readQueueSettings(name, settings);
  return new class extends WrappedDestination {
    private reserved = 0;

    override prepare(messages: readonly Message[], origin?: SessionInfo) {
      this.inner.prepare?.(messages, origin);
      this.reserved += messages.length;
    }

    override publish(message: Message, origin?: SessionInfo) {
      if (maxLength !== undefined && this.inner.stats().depth + this.reserved >= maxLength) {
        throw new WharfError(ErrorCodes.OVERFLOW, `queue ${name} is full: ${this.reserved} places are reserved`);
      }
      return this.inner.publish(message, origin);
    }
  }(realQueue(name, settings, ctx));
});
