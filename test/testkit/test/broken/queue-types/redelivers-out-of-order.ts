/** Broken: messages given back (NACK, unsubscribe, disconnect) return to the queue newest first. */
import { MessageQueue, readQueueSettings } from '@wharf/queue-queue';
import { brokenQueue } from '../support/queue-variant.js';

class ReversingQueue extends MessageQueue {
  override detached(...[subscription, returned]: Parameters<MessageQueue['detached']>): void {
    super.detached(subscription, [...returned].reverse());
  }

  override requeue(...[subscription, returned]: Parameters<MessageQueue['requeue']>): void {
    super.requeue(subscription, [...returned].reverse());
  }
}

export default brokenQueue('redelivers-out-of-order', (name, settings, ctx) => new ReversingQueue(name, 'queue', readQueueSettings(name, settings), ctx));
