/**
 * A connection's subscriptions. Each is a Consumer the destination delivers to; it encodes MESSAGE
 * frames (STOMP 1.2 §MESSAGE) and keeps what ACK/NACK need to find the delivery again:
 * 1.2 clients echo the `ack` header, 1.0/1.1 clients name the `message-id` (and `subscription`).
 */
import { ConsumerTable, type AckMode, type ClientSession, type Consumer, type Delivery, type Message, type Subscription, type WharfError } from '@wharf/core';
import { encodeMessageBlock, encodeSubscriptionHead, NUL_BYTE, type BlockOmits, type StompVersion } from './codec/index.js';
import type { StompConnection } from './connection.js';

type Extra = ReadonlyArray<readonly [string, string]>;
const REDELIVERED: Extra = [['redelivered', 'true']];
const PERSISTENT: Extra = [['persistent', 'true']];
const REDELIVERED_PERSISTENT: Extra = [['redelivered', 'true'], ['persistent', 'true']];
const NONE: Extra = [];
/** The extra lines as bytes, by `extraIndex` (bit 1: redelivered, bit 0: persistent). */
const EXTRA_LINES: ReadonlyArray<Buffer | undefined> = [
  undefined,
  Buffer.from('persistent:true\n'),
  Buffer.from('redelivered:true\n'),
  Buffer.from('redelivered:true\npersistent:true\n'),
];
const EXTRAS: readonly Extra[] = [NONE, PERSISTENT, REDELIVERED, REDELIVERED_PERSISTENT];
const VERSION_INDEX: Readonly<Record<StompVersion, number>> = { '1.0': 0, '1.1': 1, '1.2': 2 };

/**
 * The encoded message blocks (`message-id`, sender headers, `content-length`: everything of a MESSAGE head that
 * does not depend on the subscription) of the message delivered last. A topic hands one message to each of its
 * subscribers in turn, so every subscriber after the first finds the block here instead of escaping and encoding
 * the same headers again. One message at a time, two variants (version, ack, extra lines) of it: no map, nothing
 * kept alive but the last message.
 */
class BlockCache {
  private message: Message | undefined = undefined;
  private key0 = -1;
  private block0: string | Buffer | undefined = undefined;
  private key1 = -1;
  private block1: string | Buffer | undefined = undefined;

  get(message: Message, version: StompVersion, ack: boolean, extraIndex: number): string | Buffer {
    const key = VERSION_INDEX[version] * 8 + (ack ? 4 : 0) + extraIndex;
    if (message === this.message) {
      if (key === this.key0) return this.block0!;
      if (key === this.key1) return this.block1!;
    } else {
      this.message = message;
      this.key0 = -1;
      this.key1 = -1;
      this.block0 = undefined;
      this.block1 = undefined;
    }
    const block = encodeBlock(message, version, { ack, extra: EXTRAS[extraIndex]! });
    this.key1 = this.key0;
    this.block1 = this.block0;
    this.key0 = key;
    this.block0 = block;
    return block;
  }
}

function encodeBlock(message: Message, version: StompVersion, omits: BlockOmits): string | Buffer {
  const bodyLength = message.body.byteLength;
  try {
    return encodeMessageBlock(version, message.id, message.headers, bodyLength, omits);
  } catch {
    // A header a 1.1+ sender wrote may be unrepresentable in this client's version (a line break
    // in a 1.0 value): deliver the message with such headers made representable.
    return encodeMessageBlock(version, message.id, representable(message.headers), bodyLength, omits);
  }
}

const blocks = new BlockCache();

function asBuffer(body: Uint8Array): Buffer {
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

export class StompConsumer implements Consumer {
  subscription!: Subscription;
  /** For 1.0/1.1 clients in client modes: message-id -> delivery tag of unacknowledged deliveries. */
  readonly tagsByMessageId: Map<string, number> | undefined;
  /** `ack:<number>-` : the start of this subscription's 1.2 `ack` lines. */
  private readonly ackLine: string | undefined;
  /** `MESSAGE`, `subscription`, `destination`: the same bytes for every delivery (STOMP 1.2 §MESSAGE). */
  private readonly head: Buffer;

  constructor(
    private readonly connection: StompConnection,
    readonly id: string,
    readonly number: number,
    readonly destination: string,
    readonly session: ClientSession,
    readonly ackMode: AckMode,
    readonly prefetch: number,
  ) {
    const v12 = connection.version === '1.2';
    this.tagsByMessageId = ackMode !== 'auto' && !v12 ? new Map() : undefined;
    // 1.2 ack ids are `<subscription number>-<tag>`: digits and a dash, nothing to escape.
    this.ackLine = ackMode !== 'auto' && v12 ? `ack:${number}-` : undefined;
    this.head = encodeSubscriptionHead(connection.version, destination, id);
  }

  /**
   * Writes the MESSAGE frame in pieces: this subscription's head, the delivery's `ack` and extra
   * lines, the message's block (encoded once per message, see BlockCache), the body as it is, a
   * NUL. The writer copies the small pieces together and hands the body to the socket uncopied.
   */
  deliver(delivery: Delivery): boolean {
    const message = delivery.message;
    const extraIndex = (delivery.redelivered ? 2 : 0) + (message.persistent ? 1 : 0);
    const connection = this.connection;
    const ackLine = this.ackLine;
    if (this.tagsByMessageId !== undefined) {
      // Re-inserted, so that the map stays in tag order for cumulative acks.
      this.tagsByMessageId.delete(message.id);
      this.tagsByMessageId.set(message.id, delivery.tag);
    }
    const block = blocks.get(message, connection.version, ackLine !== undefined, extraIndex);
    const writer = connection.output;
    if (writer === undefined) return false;
    writer.add(this.head);
    if (ackLine !== undefined) writer.addLatin1(ackLine + delivery.tag + '\n');
    if (extraIndex !== 0) writer.add(EXTRA_LINES[extraIndex]!);
    if (typeof block === 'string') writer.addLatin1(block);
    else writer.add(block);
    if (message.body.byteLength > 0) writer.add(asBuffer(message.body));
    writer.add(NUL_BYTE);
    return writer.accepting();
  }

  cancel(reason: WharfError): void {
    this.connection.fail(reason);
  }

  /** The delivery tag of an unacknowledged message a 1.0/1.1 ACK or NACK names by message-id. */
  tagOf(messageId: string): number | undefined {
    return this.tagsByMessageId?.get(messageId);
  }

  /** Forgets a settled delivery and, `cumulative`, every earlier one (the map is in tag order). */
  forget(messageId: string, tag: number, cumulative: boolean): void {
    const map = this.tagsByMessageId;
    if (map === undefined) return;
    if (!cumulative) {
      // A NACKed message may be back already under a new tag: keep that one.
      if (map.get(messageId) === tag) map.delete(messageId);
      return;
    }
    for (const [id, t] of map) {
      if (t > tag) break;
      map.delete(id);
    }
  }
}

function representable(headers: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const cleanName = name.replace(/[\r\n:]/g, '_');
    if (cleanName.length > 0) out[cleanName] = value.replace(/[\r\n]+/g, ' ');
  }
  return out;
}

/**
 * The connection's subscriptions: core's ConsumerTable (by id, and by the number that prefixes 1.2
 * `ack` ids) plus the lookups only STOMP needs.
 */
export class SubscriptionTable extends ConsumerTable<StompConsumer> {
  constructor(private readonly connection: StompConnection) {
    super();
  }

  create(id: string, destination: string, session: ClientSession, ackMode: AckMode, prefetch: number): StompConsumer {
    return new StompConsumer(this.connection, id, this.nextNumber(), destination, session, ackMode, prefetch);
  }

  /** Finds the subscription and tag of a 1.2 `ack` id (`<subscription number>-<tag>`). */
  byAckId(ackId: string): { consumer: StompConsumer; tag: number } | undefined {
    return this.byAckToken(ackId);
  }

  /** The first subscription to `destination` (STOMP 1.0 UNSUBSCRIBE by destination). */
  byDestination(destination: string): StompConsumer | undefined {
    for (const consumer of this.values()) if (consumer.destination === destination) return consumer;
    return undefined;
  }

  /** 1.0 ACKs may omit `subscription`: the subscription that holds the message-id. */
  byMessageId(messageId: string): StompConsumer | undefined {
    for (const consumer of this.values()) if (consumer.tagsByMessageId?.has(messageId)) return consumer;
    return undefined;
  }
}
