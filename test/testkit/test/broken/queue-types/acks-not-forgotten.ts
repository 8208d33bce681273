/** Broken: acknowledged persistent messages stay in the store (they all come back after a restart). */
import type { DurableLog } from '@wharf/core';
import { brokenQueue, realQueue } from '../support/queue-variant.js';

export default brokenQueue('acks-not-forgotten', (name, settings, ctx) => {
  const log = ctx.durable;
  const durable: DurableLog | undefined = log && {
    append: (message) => log.append(message),
    remove: async () => undefined,
    delivered: (id) => log.delivered(id),
    purge: () => log.purge(),
  };
  return realQueue(name, settings, { ...ctx, durable });
});
