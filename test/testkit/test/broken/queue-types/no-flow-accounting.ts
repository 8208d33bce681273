/** Broken: never tells core's flow control what it holds, nor that it is over its high-water mark. */
import { brokenQueue, realQueue } from '../support/queue-variant.js';

export default brokenQueue('no-flow-accounting', (name, settings, ctx) => realQueue(name, settings, { ...ctx, flow: undefined }));
