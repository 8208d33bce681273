/** Broken: reports the bytes of messages it takes in, never those that leave (the memory alarm would never clear). */
import { brokenQueue, realQueue } from '../support/queue-variant.js';

export default brokenQueue('held-bytes-leak', (name, settings, ctx) => {
  const flow = ctx.flow;
  return realQueue(name, settings, {
    ...ctx,
    ...(flow ? { flow: { held: (delta: number) => { if (delta > 0) flow.held(delta); }, blocked: (b: boolean) => flow.blocked(b) } } : {}),
  });
});
