/**
 * send {destination, body (base64), headers?, persistent?, receipt?}. The headers are the sender's
 * own: the envelope (destination, ids) lives in fields, so nothing needs stripping.
 */
import { protocolError } from '../errors.js';
import { RECEIPT, type OpHandler, type Request } from './op.js';

interface SendRequest extends Request {
  readonly destination: string;
  readonly body: string;
  readonly headers?: Record<string, string>;
  readonly persistent?: boolean;
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export const sendOp: OpHandler = {
  fields: {
    destination: { type: 'name', required: true },
    body: { type: 'string', required: true },
    headers: { type: 'headers' },
    persistent: { type: 'boolean' },
    receipt: RECEIPT,
  },
  handle(connection, request): void | Promise<void> {
    const { destination, body, headers, persistent } = request as SendRequest;
    // The returned promise (a durable write) is what the receipt waits for.
    return connection.session().send(destination, {
      headers: headers ?? NO_HEADERS,
      body: decodeBase64(body),
      persistent: persistent === true,
    });
  },
};

/**
 * Node's decoder skips characters that are not base64 instead of failing; a well-formed text
 * decodes to exactly 3/4 of its length less the padding, so a shorter result means garbage.
 */
export function decodeBase64(text: string): Buffer {
  const bytes = Buffer.from(text, 'base64');
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  if (text.length % 4 !== 0 || bytes.length !== (text.length / 4) * 3 - padding) {
    throw protocolError('field "body" of send must be base64', 'encode the body bytes as standard base64, with padding');
  }
  return bytes;
}
