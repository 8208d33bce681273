/** DISCONNECT (STOMP 1.2 §DISCONNECT): the RECEIPT, if asked for, goes out before the close. */
import type { Frame } from '../codec/index.js';
import type { StompConnection } from '../connection.js';
import { header } from '../headers.js';
import type { FrameHandler } from './handler.js';

export const disconnectHandler: FrameHandler = {
  sendsOwnReceipt: true,
  handle(connection: StompConnection, frame: Frame): void {
    const receipt = header(frame, 'receipt');
    if (receipt !== undefined) connection.sendReceipt(receipt);
    connection.closeAfterFlush('client disconnected');
  },
};
