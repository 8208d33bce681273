/** SEND (STOMP 1.2 §SEND): the sender's headers and bytes go to the MQM; `persistent:true` asks for durability. */
import type { Frame } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { header, userHeaders } from '../headers.js';
import { required, retainable, sessionOf, type FrameHandler } from './handler.js';

export const sendHandler: FrameHandler = {
  handle(connection: StompConnection, frame: Frame): void | Promise<void> {
    const destination = required(frame, 'destination');
    return sessionOf(connection).send(destination, {
      headers: userHeaders(frame),
      body: retainable(frame.body),
      persistent: header(frame, 'persistent') === 'true',
    }, header(frame, 'transaction'));
  },
};
