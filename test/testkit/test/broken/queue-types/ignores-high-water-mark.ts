/** Broken: accepts the highWaterMarkBytes setting and never holds producers back. */
import { brokenQueue, realQueue } from '../support/queue-variant.js';

export default brokenQueue('ignores-high-water-mark', (name, settings, ctx) => realQueue(name, { ...settings, highWaterMarkBytes: undefined }, ctx));
