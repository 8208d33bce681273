/** Broken: every subscriber gets every message (each has a queue of its own), as a topic would. */
import type { Destination, Message } from '@wharf/core';
import { brokenQueue, realQueue, WrappedDestination } from '../support/queue-variant.js';

export default brokenQueue('fan-out', (name, settings, ctx) => {
  const others: Destination[] = [];
  return new class extends WrappedDestination {
    override publish(message: Message) {
      for (const other of others) void other.publish(message);
      return this.inner.publish(message);
    }

    override attach(consumer: Parameters<Destination['attach']>[0]) {
      if (this.inner.stats().subscribers === 0) return this.inner.attach(consumer);
      const own = realQueue(name, settings, ctx);
      others.push(own);
      return own.attach(consumer);
    }
  }(realQueue(name, settings, ctx));
});
