/** Every client op and its handler: one file per op (or family of ops). */
import { ackOp, nackOp } from './ack.js';
import { connectOp } from './connect.js';
import type { OpHandler } from './op.js';
import { sendOp } from './send.js';
import { subscribeOp, unsubscribeOp } from './subscribe.js';

export const ops: ReadonlyMap<string, OpHandler> = new Map<string, OpHandler>([
  ['connect', connectOp],
  ['subscribe', subscribeOp],
  ['unsubscribe', unsubscribeOp],
  ['send', sendOp],
  ['ack', ackOp],
  ['nack', nackOp],
]);
