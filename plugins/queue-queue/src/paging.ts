/**
 * A queue's paged backlog (QueueContext.pager; docs/flow-control.md "Paging to disk"). The queue
 * holds its messages in order as: its in-memory head (`held`, what it delivers from), then the
 * paged stubs here (on disk: id, size, place in the spill file), then `tail`, the messages that
 * arrived since paging began, in memory until there are enough of them for one write.
 *
 * Pages go out when the queue holds more than its `pageOutBytes` in memory: first the end of the
 * head (the messages delivered last), later the tail, RUN_BYTES at a time (one write each). They
 * come back in order, many messages per read, when a subscriber is ready and the head runs low.
 * A message is dropped from memory only once its write is on disk; until then (or for ever, when
 * the write failed) its stub keeps it and page-in takes it from there. So what a consumer gets is
 * the message exactly as published, with its delivery count, in the queue's order: paging changes
 * where a message waits, never what happens to it.
 */
import type { Message, Pager } from '@wharf/core';
import { Deque } from '@wharf/core';
import type { HeldMessage } from './subscription.js';

/** Most bytes in one page-out write or one page-in read. */
export const MAX_RUN_BYTES = 4 * 1024 * 1024;
/** Fewest bytes in one page-out write (a quarter of pageOutBytes otherwise). */
export const MIN_RUN_BYTES = 4 * 1024;
/** Most messages in one page-in read. */
const MAX_RUN_MESSAGES = 4096;

const WRITING = 0;
const PAGED = 1;
const GONE = 2;

/** A message in the spill file (or on its way there). */
interface Stub {
  readonly id: string;
  readonly size: number;
  readonly durable: boolean;
  readonly deliveryCount: number;
  readonly offset: number;
  readonly end: number;
  /** WRITING: `held` is still in memory; PAGED: only on disk; GONE: taken out of the backlog. */
  state: typeof WRITING | typeof PAGED | typeof GONE;
  held: HeldMessage | undefined;
}

/** What the backlog tells its queue. */
export interface PagingHost {
  readonly name: string;
  /** Bytes of messages left memory (their pages are on disk): report them to flow control. */
  pagedOut(bytes: number): void;
  /** Messages came back from disk, in order, for the end of the head (their bytes are in memory again). */
  pagedIn(messages: HeldMessage[], bytes: number): void;
  /** Paging failed: say so once; the messages stay in memory. */
  failed(err: unknown): void;
}

/** What leaving the backlog took with it (a purge, or an oldest message dropped). */
export interface Removed {
  readonly count: number;
  /** Bytes of every removed message. */
  readonly bytes: number;
  /** Bytes of those that were still in memory. */
  readonly inMemory: number;
  /** Ids of the durable ones (the store forgets them). */
  readonly durableIds: string[];
}

export class PagedBacklog {
  private readonly stubs = new Deque<Stub>();
  private readonly tail = new Deque<HeldMessage>();
  private tailBytes = 0;
  /** The stubs being read back (a prefix of `stubs`), undefined when no read is in flight. */
  private loading: Stub[] | undefined;
  /** Bumped by clear() and close(): a read that comes back after it is ignored. */
  private generation = 0;
  /** A write or read failed: nothing more is paged out until the backlog empties. */
  private broken = false;
  readonly runBytes: number;

  constructor(
    private readonly host: PagingHost,
    private readonly pager: Pager,
    readonly pageOutBytes: number,
  ) {
    this.runBytes = Math.max(MIN_RUN_BYTES, Math.min(MAX_RUN_BYTES, Math.floor(pageOutBytes / 4)));
  }

  /** Messages here (paged or in the tail): new ones must join the tail to keep the order. */
  get length(): number {
    return this.stubs.length + this.tail.length;
  }

  get active(): boolean {
    return this.stubs.length > 0 || this.tail.length > 0 || this.loading !== undefined;
  }

  /** A new message, behind everything paged. Written out once the tail fills one run. */
  add(held: HeldMessage): void {
    this.tail.push(held);
    this.tailBytes += held.size;
    if (this.tailBytes >= this.runBytes && !this.broken) this.writeTail();
  }

  /**
   * The queue holds `inMemory` bytes, too many, and nothing is paged yet: the end of its head goes
   * out until about `keep` bytes are left in memory (the first message always stays, for delivery).
   * Costs one step per message paged, nothing when there is nothing to page.
   */
  pageOutHead(head: Deque<HeldMessage>, inMemory: number, keep: number): void {
    if (this.broken || this.active) return;
    const taken: HeldMessage[] = [];
    let bytes = 0;
    while (head.length > 1 && inMemory - bytes > keep) {
      const m = head.pop()!;
      taken.push(m);
      bytes += m.size;
    }
    taken.reverse();
    for (let from = 0; from < taken.length;) {
      let runBytes = 0;
      let to = from;
      while (to < taken.length && (to === from || runBytes + taken[to]!.size <= this.runBytes)) runBytes += taken[to++]!.size;
      this.write(taken.slice(from, to));
      from = to;
    }
  }

  /** A subscriber is ready and the head runs low: bring the next messages back (at most one read in flight). */
  pageIn(): void {
    if (this.loading !== undefined) return;
    const stubs = this.stubs;
    // Those whose write has not finished (or failed) are still in memory: taken as they are.
    const inMemory: HeldMessage[] = [];
    while (stubs.length > 0 && stubs.peek()!.state !== PAGED) {
      const stub = stubs.shift()!;
      if (stub.state === GONE) continue;
      stub.state = GONE;
      inMemory.push(stub.held!);
      stub.held = undefined;
    }
    if (inMemory.length > 0) this.host.pagedIn(inMemory, 0); // never left memory
    const batch: Stub[] = [];
    let bytes = 0;
    for (let i = 0; i < stubs.length && batch.length < MAX_RUN_MESSAGES && bytes < this.runBytes; i++) {
      const stub = stubs.at(i)!;
      if (stub.state !== PAGED) break;
      batch.push(stub);
      bytes += stub.size;
    }
    if (batch.length === 0) {
      this.settle();
      return;
    }
    this.loading = batch;
    const generation = this.generation;
    this.pager.read(batch[0]!.offset, batch[batch.length - 1]!.end).then((messages) => {
      if (generation !== this.generation) return;
      this.loading = undefined;
      const loaded: HeldMessage[] = [];
      let loadedBytes = 0;
      for (let i = 0; i < batch.length; i++) {
        const stub = batch[i]!;
        if (stub.state === GONE) continue; // dropped (drop-head) while it was being read
        stub.state = GONE;
        loaded.push({ message: messages[i]!, deliveryCount: stub.deliveryCount, size: stub.size, durable: stub.durable });
        loadedBytes += stub.size;
      }
      while (stubs.length > 0 && stubs.peek()!.state === GONE) stubs.shift();
      if (loaded.length > 0) this.host.pagedIn(loaded, loadedBytes);
      this.settle();
    }, (err: unknown) => {
      if (generation !== this.generation) return;
      this.loading = undefined;
      this.broken = true;
      this.host.failed(err);
      // Nothing was lost (the file is still there): tried again when the queue next asks.
    });
  }

  /** Whether the backlog has paged messages a ready subscriber waits for. */
  get hasPaged(): boolean {
    return this.stubs.length > 0;
  }

  /** Removes the oldest message of the backlog (drop-head overflow). */
  dropOldest(): Removed | undefined {
    const stubs = this.stubs;
    while (stubs.length > 0) {
      const stub = stubs.shift()!;
      if (stub.state === GONE) continue;
      const inMemory = stub.state === WRITING ? stub.size : 0;
      stub.state = GONE;
      stub.held = undefined;
      this.settle();
      return { count: 1, bytes: stub.size, inMemory, durableIds: stub.durable ? [stub.id] : [] };
    }
    const held = this.tail.shift();
    if (held === undefined) return undefined;
    this.tailBytes -= held.size;
    return { count: 1, bytes: held.size, inMemory: held.size, durableIds: held.durable ? [held.message.id] : [] };
  }

  /** Removes everything (a purge): what it was, for the queue's counts and the store. */
  clear(): Removed {
    let count = 0;
    let bytes = 0;
    let inMemory = this.tailBytes;
    const durableIds: string[] = [];
    for (const stub of this.stubs) {
      if (stub.state === GONE) continue;
      count++;
      bytes += stub.size;
      if (stub.state === WRITING) inMemory += stub.size;
      if (stub.durable) durableIds.push(stub.id);
      stub.state = GONE;
      stub.held = undefined;
    }
    for (const held of this.tail) {
      count++;
      bytes += held.size;
      if (held.durable) durableIds.push(held.message.id);
    }
    this.stubs.clear();
    this.tail.clear();
    this.tailBytes = 0;
    this.generation++;
    this.loading = undefined;
    this.broken = false;
    this.pager.reset();
    return { count, bytes, inMemory, durableIds };
  }

  close(): void {
    this.generation++;
    this.loading = undefined;
    this.stubs.clear();
    this.tail.clear();
    this.pager.close();
  }

  // ------------------------------------------------------------ internals

  private writeTail(): void {
    const messages: HeldMessage[] = [];
    while (this.tail.length > 0) messages.push(this.tail.shift()!);
    this.tailBytes = 0;
    this.write(messages);
  }

  /** One write: stubs join the end of the backlog at once; memory is given back once it is on disk. */
  private write(held: HeldMessage[]): void {
    const messages: Message[] = held.map((h) => h.message);
    const run = this.pager.write(messages);
    const stubs: Stub[] = [];
    for (let i = 0; i < held.length; i++) {
      const h = held[i]!;
      const stub: Stub = {
        id: h.message.id, size: h.size, durable: h.durable, deliveryCount: h.deliveryCount,
        offset: run.offsets[i]!, end: i + 1 < held.length ? run.offsets[i + 1]! : run.end, state: WRITING, held: h,
      };
      stubs.push(stub);
      this.stubs.push(stub);
    }
    const generation = this.generation;
    run.written.then(() => {
      if (generation !== this.generation) return;
      let freed = 0;
      for (const stub of stubs) {
        if (stub.state !== WRITING) continue;
        stub.state = PAGED;
        stub.held = undefined;
        freed += stub.size;
      }
      if (freed > 0) this.host.pagedOut(freed);
    }, (err: unknown) => {
      if (generation !== this.generation) return;
      this.broken = true;
      this.host.failed(err); // the stubs keep their messages: page-in takes them from memory
    });
  }

  /** Nothing paged and no read in flight: the tail joins the head, and the file is emptied. */
  private settle(): void {
    if (this.stubs.length > 0 || this.loading !== undefined) return;
    if (this.tail.length > 0) {
      const tail: HeldMessage[] = [];
      while (this.tail.length > 0) tail.push(this.tail.shift()!);
      this.tailBytes = 0;
      this.host.pagedIn(tail, 0); // never left memory
    }
    this.broken = false;
    this.pager.reset();
  }
}
