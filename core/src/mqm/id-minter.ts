/**
 * The one place message ids and timestamps are made. Everything that creates a Message (a client's
 * send, a command's reply, an event, a commit) goes through `createMessage` here.
 *
 * An id is `<start><node><epoch>-<counter>`:
 * - `<start>`: the minter's start time in base 36 (8 characters until the year 2059), so ids never
 *   repeat across restarts of one node and a restarted node's ids sort after its earlier ones;
 * - `<node>`: the node id, NODE_ID_WIDTH characters of [0-9a-z], so two broker processes that share
 *   one engine (the cluster issue) never mint the same id, even when they start in the same
 *   millisecond;
 * - `<epoch>` (three characters) and `<counter>` (written as 10^9 + n: ten digits): the counter goes
 *   up by one per message and the epoch every 10^9 messages.
 *
 * Every id of one minter has one width and they sort in the order they were made, so a store's
 * index on them grows at one end instead of being written all over (a third faster durable appends
 * with SQLite). The counter stays a small integer, which V8 turns into text cheaply, and the prefix
 * is one string made once per epoch: minting costs one string concatenation.
 */
import { ErrorCodes, WharfError } from '../errors.js';
import type { Message } from '../spi/message.js';

/** Characters of the node part of an id. */
export const NODE_ID_WIDTH = 4;
const NODE_ID = /^[0-9a-z]{1,4}$/;

/** Messages per id epoch: ids end in 10^9 + n, ten digits. */
const EPOCH_SIZE = 1_000_000_000;

export interface IdMinterOptions {
  /**
   * This process's node id: 1 to 4 characters of [0-9a-z] (shorter ones are padded with leading
   * zeros, so `7` and `0007` are one node). Default: random, fixed for the minter's life.
   */
  readonly nodeId?: string;
  /** The start time written into ids (default Date.now(); tests give their own). */
  readonly startedAt?: number;
}

/** Checks and pads a node id; throws CONFIG naming the rule when it does not fit. */
export function normalizeNodeId(nodeId: string): string {
  if (typeof nodeId !== 'string' || !NODE_ID.test(nodeId)) {
    throw new WharfError(ErrorCodes.CONFIG, `node id ${JSON.stringify(nodeId)} is not 1 to ${NODE_ID_WIDTH} characters of 0-9 and a-z`, {
      hint: `give every broker process sharing an engine its own id of 1 to ${NODE_ID_WIDTH} lower-case letters or digits`,
      details: { nodeId },
    });
  }
  return nodeId.padStart(NODE_ID_WIDTH, '0');
}

function randomNodeId(): string {
  return Math.floor(Math.random() * 36 ** NODE_ID_WIDTH).toString(36).padStart(NODE_ID_WIDTH, '0');
}

export class IdMinter {
  /** The node part of every id, NODE_ID_WIDTH characters. */
  readonly nodeId: string;
  /** The part every id of this minter starts with (start time and node): ids of other runs do not. */
  readonly run: string;
  private readonly start: string;
  private epoch = 0;
  private prefix: string;
  private counter = 0;
  /** Date.now() of this turn of the event loop, or 0 (see now()). */
  private clock = 0;
  private readonly clockExpires = (): void => {
    this.clock = 0;
  };

  constructor(options: IdMinterOptions = {}) {
    this.nodeId = options.nodeId === undefined ? randomNodeId() : normalizeNodeId(options.nodeId);
    this.start = (options.startedAt ?? Date.now()).toString(36).padStart(8, '0') + this.nodeId;
    this.run = this.start;
    this.prefix = this.epochPrefix();
  }

  /** A fresh id. */
  next(): string {
    if (++this.counter === EPOCH_SIZE) {
      this.counter = 0;
      this.epoch++;
      this.prefix = this.epochPrefix();
    }
    return this.prefix + (EPOCH_SIZE + this.counter);
  }

  /** A broker message with a fresh id and this turn's timestamp. On the hot path: one object, one string. */
  createMessage(destination: string, headers: Record<string, string>, body: Uint8Array, persistent: boolean): Message {
    return { id: this.next(), destination, headers, body, persistent, timestamp: this.now() };
  }

  /**
   * The clock for message timestamps, read once per turn of the event loop: the messages of one
   * socket read (often hundreds) share a reading, instead of costing a Date.now() each.
   */
  now(): number {
    if (this.clock === 0) {
      this.clock = Date.now();
      queueMicrotask(this.clockExpires);
    }
    return this.clock;
  }

  /**
   * The id this minter makes `n` ids after `id` (one of its own), or the last id of `id`'s epoch
   * when that comes first: ids between the two sort between them. For delivery horizons.
   */
  ahead(id: string, n: number): string {
    const counter = Number(id.slice(-10)) + n;
    return id.slice(0, -10) + String(Math.min(counter, 2 * EPOCH_SIZE - 1));
  }

  private epochPrefix(): string {
    return `${this.start}${this.epoch.toString(36).padStart(3, '0')}-`;
  }
}
