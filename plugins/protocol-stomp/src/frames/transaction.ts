/** BEGIN, COMMIT, ABORT (STOMP 1.2 §BEGIN, §COMMIT, §ABORT): SEND/ACK/NACK inside take effect at COMMIT. */
import type { Frame } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { required, sessionOf, type FrameHandler } from './handler.js';

export const beginHandler: FrameHandler = {
  handle: (connection: StompConnection, frame: Frame) => sessionOf(connection).begin(required(frame, 'transaction')),
};

export const commitHandler: FrameHandler = {
  handle(connection: StompConnection, frame: Frame): void | Promise<void> {
    const transaction = required(frame, 'transaction');
    const done = sessionOf(connection).commit(transaction);
    connection.commitActions.committed(transaction);
    return done;
  },
};

export const abortHandler: FrameHandler = {
  handle(connection: StompConnection, frame: Frame): void {
    const transaction = required(frame, 'transaction');
    sessionOf(connection).abort(transaction);
    connection.commitActions.aborted(transaction);
  },
};
