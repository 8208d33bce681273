/** Every client command and its handler: one file per frame (or family of frames). */
import { ackHandler, nackHandler } from './ack.js';
import { connectHandler } from './connect.js';
import { disconnectHandler } from './disconnect.js';
import type { FrameHandler } from './handler.js';
import { sendHandler } from './send.js';
import { subscribeHandler, unsubscribeHandler } from './subscribe.js';
import { abortHandler, beginHandler, commitHandler } from './transaction.js';

export const handlers: ReadonlyMap<string, FrameHandler> = new Map<string, FrameHandler>([
  ['CONNECT', connectHandler],
  ['STOMP', connectHandler], // STOMP 1.2 §CONNECT or STOMP Frame: same meaning
  ['SEND', sendHandler],
  ['SUBSCRIBE', subscribeHandler],
  ['UNSUBSCRIBE', unsubscribeHandler],
  ['ACK', ackHandler],
  ['NACK', nackHandler],
  ['BEGIN', beginHandler],
  ['COMMIT', commitHandler],
  ['ABORT', abortHandler],
  ['DISCONNECT', disconnectHandler],
]);
