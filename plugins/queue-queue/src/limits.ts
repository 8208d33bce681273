/**
 * A queue's limits (maxLength, maxBytes with `overflow: reject`), as one rule used both when a
 * message is published and when a transaction's messages are checked before its commit.
 */
import { ErrorCodes, WharfError, messageSize, type Message } from '@wharf/core';
import type { QueueSettings } from './settings.js';

/**
 * Why a message of `size` bytes would be refused by queue `name` holding `count` messages of
 * `bytes` bytes (over maxBytes, or a full queue with `overflow: reject`), or undefined when it
 * would be taken (with `drop-head`, older messages then make room).
 */
export function refusal(name: string, settings: QueueSettings, count: number, bytes: number, size: number): WharfError | undefined {
  const { maxLength, maxBytes, overflow } = settings;
  if (maxBytes !== undefined && size > maxBytes) {
    return new WharfError(ErrorCodes.OVERFLOW, `queue ${name} refuses a message of ${size} bytes: its maxBytes is ${maxBytes}`, {
      hint: `send smaller messages, or raise maxBytes in the routing rule for ${name}`,
      details: { destination: name, limit: 'maxBytes', value: maxBytes },
    });
  }
  if (overflow !== 'reject') return undefined;
  const overLength = maxLength !== undefined && count >= maxLength;
  if (!overLength && !(maxBytes !== undefined && bytes + size > maxBytes)) return undefined;
  const which = overLength
    ? { limit: 'maxLength', value: maxLength, text: `${maxLength} messages` }
    : { limit: 'maxBytes', value: maxBytes!, text: `${maxBytes} bytes` };
  return new WharfError(ErrorCodes.OVERFLOW, `queue ${name} is full: it holds ${count} messages and its ${which.limit} is ${which.text}`, {
    hint: `wait for consumers to catch up, raise ${which.limit}, or set overflow: drop-head in the routing rule for ${name}`,
    details: { destination: name, limit: which.limit, value: which.value },
  });
}

/**
 * Throws the refusal of the first of `messages` the queue would refuse were they published in
 * order now, with `details.index` naming it. Each message is counted for those after it, unless
 * `handedOver` says a consumer would take it at once (it then never joins the queue).
 */
export function prepareAgainstLimits(
  name: string, settings: QueueSettings, count: number, bytes: number, messages: readonly Message[], handedOver: (message: Message) => boolean,
): void {
  if (settings.maxLength === undefined && settings.maxBytes === undefined) return;
  for (let index = 0; index < messages.length; index++) {
    const message = messages[index]!;
    const size = messageSize(message);
    if (size <= (settings.maxBytes ?? Infinity) && count === 0 && handedOver(message)) continue;
    const refused = refusal(name, settings, count, bytes, size);
    if (refused !== undefined) {
      throw new WharfError(refused.code, refused.message, { ...(refused.hint ? { hint: refused.hint } : {}), details: { ...refused.details, index } });
    }
    count++;
    bytes += size;
  }
}
