/**
 * Delivery horizons: how core makes sure that, after a crash, every restored message that may have
 * been delivered comes back redelivered (docs/durability.md, "After a crash"; the rule at start is
 * in crash-flags.ts).
 *
 * A delivery mark (the store's `delivered` operation) is written after the delivery, batched and
 * deferred (durability.ts), so a crash can lose it. What is written *before* a delivery instead is
 * the destination's horizon: the ids that may have been delivered. A delivery the committed
 * horizon covers goes to the consumer at once (one string comparison); one past it waits until a
 * horizon a block further has committed — one small write per block, not per message, and asked
 * for half a block ahead, so that under steady traffic deliveries do not wait at all. A block that
 * turns out too small (a delivery had to wait) doubles, up to MAX_BLOCK: at most that many
 * messages never delivered are flagged after a crash.
 *
 * Core does this for every queue type: subscribe() hands the destination a HorizonConsumer in
 * front of the adapter's consumer, which holds deliveries past the horizon (and those behind them,
 * in order) and answers `false`, as a full consumer does, until they may go.
 */
import type { WharfError } from '../errors.js';
import type { Delivery, Message } from '../spi/message.js';
import type { AckMode, Consumer, SessionInfo, Subscription } from '../spi/queue.js';
import type { StoreOp } from '../spi/store.js';
import { writeHorizon } from './crash-flags.js';
import type { HorizonHooks } from './durability.js';

/** Ids a horizon covers ahead of the delivery that asks for it, at first (in minting order, all destinations). */
export const FIRST_BLOCK = 1024;
/** The most a block grows to. */
export const MAX_BLOCK = 65_536;

/** What the horizons need of the broker: their writer (durability.ts) and the id minter. */
export interface HorizonServices {
  /** Writes a destination's horizon; resolves once committed (retried after store failures). */
  writeHorizon(destination: string, horizon: string): Promise<void>;
  /** IdMinter.run: the start of every id this run mints. */
  readonly run: string;
  /** IdMinter.ahead. */
  ahead(id: string, n: number): string;
}

/** One destination's horizon in this run. */
export class Horizon {
  /** Set by the destination's first durable append (or a restore): until then nothing is checked. */
  active = false;
  /** It stores messages that are not `persistent` too (a queue whose settings make all durable): those are checked as well. */
  storesPlain = false;
  /** Committed: this run's ids up to here may be delivered; past `soon` the next block is asked for. */
  private upTo = '';
  private soon = '';
  /** Asked for (being written or committed). */
  private askedUpTo = '';
  private askedSoon = '';
  /** Restored messages (ids of earlier runs) in replay order, and where each is. */
  private restored: readonly string[] = [];
  private ordinal: Map<string, number> | undefined;
  /** Committed and asked: the restored messages before this index may be delivered (-1: every message of another run). */
  private coveredRestored = 0;
  private askedRestored = 0;
  private block = FIRST_BLOCK;
  /** The newest ids of this run appended and delivered (appended() guesses from them). */
  private lastAppended = '';
  private lastDelivered = '';
  private waiting: HorizonConsumer[] = [];

  constructor(
    private readonly destination: string,
    private readonly services: HorizonServices,
  ) {}

  /** At start: the messages restored (`earlier`: those of other runs, in replay order). */
  restore(earlier: readonly string[], storesPlain: boolean): void {
    this.active = true;
    if (storesPlain) this.storesPlain = true;
    this.restored = earlier;
    this.ordinal = earlier.length === 0 ? undefined : new Map(earlier.map((id, i) => [id, i]));
    // The first block is asked for at start (DeliveryHorizons.atStart), so the first deliveries need not wait.
    this.askedRestored = earlier.length <= this.block ? -1 : this.block;
  }

  /**
   * A durable append of `id`. When deliveries have caught up with the appends (a consumer is
   * likely to take it at once), the next block is asked for now, in the append's batch, so its
   * delivery need not wait. Only a guess: wrong either way, it costs a wait or flags at most a
   * block more after a crash.
   */
  appended(message: Message): void {
    this.active = true;
    if (!message.persistent) this.storesPlain = true;
    const id = message.id;
    if (!id.startsWith(this.services.run)) return;
    const caughtUp = this.lastDelivered >= this.lastAppended;
    this.lastAppended = id;
    if (caughtUp && id > this.askedSoon) {
      this.askedUpTo = this.services.ahead(id, this.block);
      this.askedSoon = this.services.ahead(id, this.block / 2);
      this.write();
    }
  }

  /**
   * True when the delivery of `id` may go now. Otherwise (and when it comes near the end of what
   * was asked for) asks for the next block; `wait()` then hears when it committed.
   */
  covers(id: string): boolean {
    if (id.startsWith(this.services.run)) {
      this.lastDelivered = id;
      if (id <= this.soon) return true;
      const covered = id <= this.upTo;
      if (id > this.askedSoon) {
        if (!covered && this.block < MAX_BLOCK) this.block *= 2;
        this.askedUpTo = this.services.ahead(id, this.block);
        this.askedSoon = this.services.ahead(id, this.block / 2);
        this.write();
      }
      return covered;
    }
    // An id of another run: restored at start (by its place in the replay), or not minted by core.
    if (this.coveredRestored < 0) return true;
    const at = this.ordinal?.get(id);
    const covered = at !== undefined && at < this.coveredRestored;
    if (this.askedRestored >= 0) {
      if (at === undefined) {
        this.askedRestored = -1; // cover every id of another run
        this.write();
      } else if (at >= this.askedRestored - this.block / 2) {
        if (!covered && this.block < MAX_BLOCK) this.block *= 2;
        const next = at + this.block;
        this.askedRestored = next >= this.restored.length ? -1 : next;
        this.write();
      }
    }
    return covered;
  }

  /** Calls `consumer.release()` once the next horizon committed. */
  wait(consumer: HorizonConsumer): void {
    this.waiting.push(consumer);
  }

  /** Writes what was asked for; on commit it becomes the horizon and waiting consumers go on. */
  private write(): void {
    const { text, committed } = this.asked();
    void this.services.writeHorizon(this.destination, text).then(committed);
  }

  /** The record of what was asked for, and what to do once it committed. */
  asked(): { text: string; committed: () => void } {
    const upTo = this.askedUpTo;
    const soon = this.askedSoon;
    const restored = this.askedRestored;
    const before = restored < 0 ? null : (this.restored[restored] ?? null);
    const text = writeHorizon({ run: this.services.run, upTo, before });
    const committed = (): void => {
      // Writes commit in order; a later one may have committed first only if it asked for more.
      if (upTo > this.upTo) {
        this.upTo = upTo;
        this.soon = soon;
      }
      if (restored < 0 || (this.coveredRestored >= 0 && restored > this.coveredRestored)) this.coveredRestored = restored;
      const waiting = this.waiting;
      this.waiting = [];
      for (const consumer of waiting) consumer.release();
    };
    return { text, committed };
  }
}

/** The horizons of one broker run, by destination; also the hooks durability.ts calls. */
export class DeliveryHorizons implements HorizonHooks {
  private readonly horizons = new Map<string, Horizon>();
  /** Restored at start, their first blocks not yet asked for. */
  private starting: Array<[string, Horizon]> = [];

  constructor(private readonly services: HorizonServices) {}

  of(destination: string): Horizon {
    let horizon = this.horizons.get(destination);
    if (horizon === undefined) this.horizons.set(destination, (horizon = new Horizon(destination, this.services)));
    return horizon;
  }

  /** At start: the destination's restored messages of earlier runs, in replay order. */
  restored(destination: string, earlier: readonly string[], storesPlain: boolean): void {
    const horizon = this.of(destination);
    horizon.restore(earlier, storesPlain);
    this.starting.push([destination, horizon]);
  }

  /**
   * The horizons of the restored destinations, covering their first blocks, for the start's batch
   * (Durability.beginRun); `committed` makes them the horizons once it is written.
   */
  atStart(): { ops: StoreOp[]; committed: () => void } {
    const asked = this.starting.map(([destination, horizon]) => ({ destination, ...horizon.asked() }));
    this.starting = [];
    return {
      ops: asked.map(({ destination, text }) => ({ op: 'horizon' as const, destination, horizon: text })),
      committed: () => {
        for (const { committed } of asked) committed();
      },
    };
  }

  /** HorizonHooks: the horizon a destination's durable appends tell. */
  flagFor(destination: string): Horizon {
    return this.of(destination);
  }

  /** HorizonHooks: the destination was deleted (the store forgets its horizon with it). */
  forget(destination: string): void {
    this.horizons.delete(destination);
  }

  /** The consumer a destination gets for `consumer`, subscribed to `destination`. */
  wrap(consumer: Consumer, destination: string): HorizonConsumer {
    return new HorizonConsumer(consumer, this.of(destination));
  }
}

/**
 * In front of an adapter's consumer: passes deliveries the horizon covers, holds the others (and
 * those behind them, in order) until it does. While it holds any it answers `false`, so the
 * destination stops as it does for a full consumer; it resumes the subscription once they went.
 */
export class HorizonConsumer implements Consumer {
  readonly id: string;
  readonly session: SessionInfo;
  readonly ackMode: AckMode;
  readonly prefetch: number;
  /** Set by subscribe() once attached: resumed when the held deliveries went. */
  subscription: Subscription | undefined;
  private held: Delivery[] | undefined;
  private ended = false;

  constructor(readonly inner: Consumer, private readonly horizon: Horizon) {
    this.id = inner.id;
    this.session = inner.session;
    this.ackMode = inner.ackMode;
    this.prefetch = inner.prefetch;
  }

  deliver(delivery: Delivery): boolean {
    if (this.held !== undefined) {
      this.held.push(delivery);
      return false;
    }
    const horizon = this.horizon;
    // Plain messages of a queue that stores only persistent ones are not in the store: they pass.
    if (!horizon.active || (!delivery.message.persistent && !horizon.storesPlain) || horizon.covers(delivery.message.id)) {
      return this.inner.deliver(delivery);
    }
    this.held = [delivery];
    horizon.wait(this);
    return false;
  }

  cancel(reason: WharfError): void {
    this.end();
    this.inner.cancel(reason);
  }

  /** The subscription ended: held deliveries are dropped (the destination takes them back). */
  end(): void {
    this.ended = true;
    this.held = undefined;
  }

  /** A horizon committed: hands over what it covers now, in order. */
  release(): void {
    const held = this.held;
    if (held === undefined || this.ended) return;
    let all = true;
    let i = 0;
    for (; i < held.length; i++) {
      if (!this.horizon.covers(held[i]!.message.id)) break;
      if (!this.inner.deliver(held[i]!)) all = false;
      if (this.ended) return;
    }
    if (i < held.length) {
      held.splice(0, i);
      this.horizon.wait(this);
      return;
    }
    this.held = undefined;
    if (all) this.subscription?.resume();
  }
}
