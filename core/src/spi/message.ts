/**
 * Messages as the broker sees them: protocol-neutral. A protocol adapter turns its frames into a
 * MessageInput (stripping its own control headers) and MESSAGE-like frames back out of a Delivery.
 */

/** Header names and values as the sender gave them. The first occurrence of a name wins. */
export type Headers = Record<string, string>;

/** What a client hands to `send`: the broker adds the id, destination and timestamp. */
export interface MessageInput {
  /** The sender's own headers (`content-type` among them); never protocol control headers. */
  readonly headers: Headers;
  /** The body as bytes. Never converted to a string by the broker. */
  readonly body: Uint8Array;
  /** Write to the store before acknowledging the send (STOMP `persistent: true`). */
  readonly persistent?: boolean;
}

export interface Message extends MessageInput {
  /**
   * Unique within the broker's lifetime, across restarts of a durable store and across broker
   * processes (each has its node id in it). Opaque: do not parse it. Made by core only
   * (QueueContext.createMessage), so it sorts in creation order within one process.
   */
  readonly id: string;
  /** The destination the sender named (a pubsub's name for its children's copies). */
  readonly destination: string;
  readonly persistent: boolean;
  /** Milliseconds since the epoch, when the broker accepted the message. */
  readonly timestamp: number;
}

/** One message handed to one consumer. */
export interface Delivery {
  readonly message: Message;
  /**
   * Identifies this delivery within its subscription for ack and nack. Increases with each
   * delivery on the subscription, so a cumulative (`client`) ack can compare tags.
   */
  readonly tag: number;
  /** True when the message was delivered before and not acknowledged. */
  readonly redelivered: boolean;
  /** How many times this message has been handed out, this delivery included. */
  readonly deliveryCount: number;
}

/** Approximate memory a message occupies, for byte limits (body plus header text). */
export function messageSize(message: MessageInput): number {
  let size = message.body.byteLength;
  for (const name in message.headers) size += name.length + (message.headers[name]?.length ?? 0) + 2;
  return size;
}
