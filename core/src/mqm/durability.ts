/**
 * The durability service: the one writer to the broker's Store, with group commit.
 *
 * Destinations reach it through `QueueContext.durable` (a DurableLog scoped to their name); the
 * MQM through saveDestination / deleteDestination. Nothing is written at once: every operation
 * asked for in one turn of the event loop joins the current batch, and the batch is written after
 * that turn (setImmediate) as ONE store transaction. While a batch is being written the next one
 * fills up, so under load a batch holds whatever arrived during the previous write: the cost of
 * a commit (an fsync) is shared by every message of the batch.
 *
 * The promises: an append resolves once its batch committed (the receipt may go out), or rejects
 * with WharfError STORE when the write failed (and then the message is not stored). Every other
 * operation (acknowledgements, delivery marks, destination records) is kept and retried with the
 * next batches after a failure, so it resolves late instead of failing: acknowledgements are never
 * lost while the broker runs, and retries go on by themselves (with a growing delay) until the
 * store works again.
 *
 * Delivery marks (a message handed to a client-mode consumer: a restart marks it redelivered) are
 * not awaited, so they wait (delivery-marks.ts): written with the first batch at least
 * MARK_DELAY_MS after they were made (25 to 50 ms); an acknowledgement meanwhile cancels its mark.
 * A crash may lose the last marks: the delivery horizons (delivery-horizons.ts, written here
 * before the deliveries they cover, and the `clean` marker written at a clean stop) flag those
 * messages at the next start.
 *
 * `groupCommit: false` (for benchmarks and diagnosis only) writes one transaction per message
 * instead: the copies of one message (a pubsub's children) stay together, every other operation
 * gets its own transaction (delivery marks included, at once).
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Message } from '../spi/message.js';
import type { DurableLog } from '../spi/queue.js';
import type { Store, StoreOp, StoredDestination, StoredMessage, StoredRecovery } from '../spi/store.js';
import { DeliveryMarks, type Marks } from './delivery-marks.js';
import { carryLeftovers, deferred, type Unit } from './durability-units.js';

export interface DurabilityOptions {
  /** One transaction per batch (default) or per message (benchmarks only). */
  readonly groupCommit: boolean;
  /** First delay before a failed batch's leftovers are retried when nothing else comes; doubles up to maxRetryDelayMs. */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
}

export interface DurabilityStats {
  /** Transactions committed. */
  readonly commits: number;
  /** Operations in those transactions. */
  readonly operations: number;
  /** Writes that failed. */
  readonly failures: number;
  /** True from a failed write until the next one succeeds. */
  readonly failing: boolean;
}

/** What the delivery horizons (delivery-horizons.ts) hear from the durability service. */
export interface HorizonHooks {
  /** Called once per destination log: the flag its durable appends set. */
  flagFor(destination: string): { appended(message: Message): void };
  /** The destination was deleted. */
  forget(destination: string): void;
}

export class Durability {
  private units: Unit[] = [];
  /** Delivery marks waiting for their acknowledgement, and their timer. */
  private readonly marks = new DeliveryMarks(() => void this.flush(), () => this.currentUnit());
  private scheduled = false;
  private writing: Promise<void> | undefined;
  private failure: WharfError | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelay: number;
  private closing = false;
  /** Destinations the store has a record of (or will have, once the current batches commit). */
  private readonly known = new Set<string>();
  private commits = 0;
  private operations = 0;
  private failures = 0;
  /** The failure was logged, and no write but a failure's leftovers committed since. */
  private failureLogged = false;
  /** Set by the MQM when the store keeps horizons (recoverable). */
  horizonHooks: HorizonHooks | undefined;
  /** beginRun() was asked: a clean stop may say so. */
  private runBegun = false;
  /** What beginRun() asked for, not written yet: goes first into the next unit. */
  private runOps: StoreOp[] | undefined;
  private failureWaiters: Array<() => void> = [];

  constructor(
    readonly store: Store,
    private readonly logger: Logger,
    private readonly options: DurabilityOptions,
  ) {
    this.retryDelay = options.retryDelayMs ?? 50;
  }

  get stats(): DurabilityStats {
    return { commits: this.commits, operations: this.operations, failures: this.failures, failing: this.failure !== undefined };
  }

  async open(): Promise<void> {
    try {
      await this.store.setup();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new WharfError(ErrorCodes.STORE, `the ${this.store.name} store could not be opened: ${reason}`, {
        cause: err,
        hint: err instanceof WharfError && err.hint ? err.hint : `fix the ${this.store.name} store's options (path, permissions, free space), or stop the process that holds it`,
      });
    }
  }

  async destinations(): Promise<StoredDestination[]> {
    const list = await this.store.destinations();
    for (const d of list) this.known.add(d.name);
    return list;
  }

  replay(destination: string): AsyncIterable<StoredMessage> {
    return this.store.replay(destination);
  }

  /** The store keeps delivery horizons and a clean-stop marker (Store.recovery). */
  get recoverable(): boolean {
    return typeof this.store.recovery === 'function';
  }
  /** What the store's recovery record says (only when recoverable). */
  recovery(): Promise<StoredRecovery> {
    return this.store.recovery!();
  }

  /**
   * At start, after restore (recoverable stores): the restore's flags and horizons and the run
   * marked unclean, in one batch ahead of every horizon this run writes (restore.ts).
   */
  beginRun(ops: readonly StoreOp[], now: boolean): Promise<void> {
    this.runBegun = true;
    this.runOps = [...ops];
    if (now) return this.apply({ op: 'clean', clean: false });
    // Nothing to flag or cover: the record may stay as it is until the next write, which brings this along.
    this.runOps.push({ op: 'clean', clean: false });
    return Promise.resolve();
  }

  /** Resolves when a write fails next. */
  nextFailure = (): Promise<void> => new Promise((resolve) => this.failureWaiters.push(resolve));

  /** Writes a destination's delivery horizon; resolves once committed (retried after failures). */
  writeHorizon(destination: string, horizon: string): Promise<void> {
    return this.apply({ op: 'horizon', destination, horizon });
  }

  /** The DurableLog a destination of `type` named `name` gets in its QueueContext. */
  logFor(name: string, type: string): DurableLog {
    const marks: Marks = this.marks.forDestination(name);
    const horizon = this.horizonHooks?.flagFor(name);
    return {
      append: (message) => {
        const done = this.append(name, type, message);
        horizon?.appended(message); // from now on its deliveries wait for the horizon (delivery-horizons.ts)
        return done;
      },
      remove: (id) => {
        // Acknowledged before its delivery mark was written: the mark is not needed any more.
        if (marks.listed && !marks.young.delete(id)) marks.old.delete(id);
        return this.apply({ op: 'remove', destination: name, id });
      },
      delivered: (id) => {
        if (!this.options.groupCommit) {
          void this.apply({ op: 'delivered', destination: name, id });
          return;
        }
        if (marks.young.has(id) || marks.old.has(id)) {
          // Handed out again before its first mark was written: each delivery counts (rare).
          void this.apply({ op: 'delivered', destination: name, id });
          return;
        }
        marks.young.add(id);
        if (!marks.listed) this.marks.list(marks);
      },
      purge: () => {
        marks.young.clear();
        marks.old.clear();
        return this.apply({ op: 'purge', destination: name });
      },
    };
  }

  /** Keeps a destination record (created by command, a pubsub's children changed). */
  saveDestination(destination: StoredDestination): void {
    this.known.add(destination.name);
    void this.apply({ op: 'save-destination', destination });
  }

  /** Forgets a destination and its messages, if the store knows it. */
  deleteDestination(name: string): void {
    this.horizonHooks?.forget(name);
    if (!this.known.delete(name)) return;
    void this.apply({ op: 'delete-destination', name });
  }

  /** Writes what is pending, then closes the store. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.marks.stop();
    if (this.writing) await this.writing;
    // Delivery marks still waiting go out with the last batch.
    this.marks.age(true);
    this.marks.age(true);
    if (this.units.length > 0) await this.flush();
    // Everything is written, every delivery mark included: the next start needs no crash flags.
    if (this.units.length === 0 && this.runBegun) {
      await this.store.write([{ op: 'clean', clean: true }]).catch((err: unknown) => this.logger.warn({ err }, 'the store could not record the clean stop: the next start flags possibly delivered messages redelivered'));
    }
    if (this.units.length > 0) {
      const lost = this.units.reduce((n, u) => n + u.ops.length, 0);
      const error = new WharfError(ErrorCodes.STORE, `the store was closed with ${lost} operations unwritten`, {
        cause: this.failure,
        hint: 'acknowledged messages among them come back after the restart; check the store (disk space, permissions)',
      });
      this.logger.error({ err: this.failure, operations: lost }, 'store closed with unwritten acknowledgements or records: those messages will be redelivered after the restart');
      for (const unit of this.units) {
        unit.appended?.reject(error);
        unit.applied?.reject(error);
      }
      this.units = [];
    }
    await this.store.close();
  }

  // ------------------------------------------------------------------ batching

  private append(destination: string, type: string, message: Message): Promise<void> {
    if (this.closing) {
      return Promise.reject(new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down: the message was not stored', {
        hint: 'send it again once the broker is back',
      }));
    }
    const unit = this.unitForAppend(message.id);
    if (!this.known.has(destination)) {
      // The first durable message of a destination brings its record along, in the same transaction.
      this.known.add(destination);
      unit.ops.push({ op: 'save-destination', destination: { name: destination, type } });
      unit.applied ??= deferred();
    }
    unit.ops.push({ op: 'append', destination, message });
    unit.appended ??= deferred();
    this.schedule();
    return unit.appended.promise;
  }

  private apply(op: StoreOp): Promise<void> {
    // Per message, a horizon joins the next unit to be written: deliveries do not wait for the queue of appends.
    const unit = this.options.groupCommit ? this.currentUnit() : (op.op === 'horizon' && this.units[0]) || this.newUnit();
    if (this.runOps !== undefined) {
      unit.ops.push(...this.runOps); // beginRun's batch, ahead of anything else (every horizon)
      this.runOps = undefined;
    }
    unit.ops.push(op);
    unit.applied ??= deferred();
    this.schedule();
    return unit.applied.promise;
  }

  private currentUnit(): Unit {
    const last = this.units[this.units.length - 1];
    return last !== undefined && last.sealed !== true ? last : this.newUnit();
  }

  private newUnit(messageId?: string): Unit {
    const unit: Unit = messageId === undefined ? { ops: [] } : { ops: [], messageId };
    this.units.push(unit);
    return unit;
  }

  private unitForAppend(messageId: string): Unit {
    if (this.options.groupCommit) return this.currentUnit();
    const last = this.units[this.units.length - 1];
    return last !== undefined && last.messageId === messageId ? last : this.newUnit(messageId);
  }

  private schedule(): void {
    if (this.scheduled || this.writing !== undefined) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing !== undefined) return;
    this.marks.age(false);
    if (this.units.length === 0) {
      this.marks.arm();
      return;
    }
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const units = this.units;
    this.units = [];
    this.writing = this.writeUnits(units);
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
    }
    if (this.closing) return;
    if (this.units.length === 0) {
      this.marks.arm();
      return;
    }
    if (this.failure === undefined) this.schedule();
    else if (this.units.some((u) => u.appended !== undefined)) this.schedule(); // new messages: try now
    else this.scheduleRetry();
  }

  private async writeUnits(units: Unit[]): Promise<void> {
    for (let i = 0; i < units.length; i++) {
      const unit = units[i]!;
      try {
        await this.store.write(unit.ops);
      } catch (err) {
        // This unit and every later one of the flush fail together, so that their leftovers are
        // retried in their original order, ahead of anything asked for since.
        this.failed(err, units.slice(i));
        return;
      }
      this.commits++;
      this.operations += unit.ops.length;
      unit.applied?.resolve(); // first: the unit's horizons commit before its messages are delivered
      unit.appended?.resolve();
      if (this.failure !== undefined) {
        this.failure = undefined;
        this.retryDelay = this.options.retryDelayMs ?? 50;
      }
      // The leftovers of a failure committing alone (sealed) do not say that the store works: a
      // full disk may take them and still refuse every append.
      if (this.failureLogged && unit.sealed !== true) {
        this.failureLogged = false;
        this.logger.info({ failures: this.failures }, 'the store works again: durable messages are accepted');
      }
    }
  }

  private failed(err: unknown, units: Unit[]): void {
    this.failures++;
    const waiters = this.failureWaiters;
    this.failureWaiters = [];
    for (const wake of waiters) wake();
    const reason = err instanceof Error ? err.message : String(err);
    const error = new WharfError(ErrorCodes.STORE, `the store could not write the message: ${reason}`, {
      cause: err,
      hint: err instanceof WharfError && err.hint
        ? `the message was not accepted: ${err.hint}`
        : 'the message was not accepted: send it again later; the broker retries the store by itself (check disk space and the store\'s log)',
    });
    if (!this.failureLogged) {
      this.failureLogged = true;
      this.logger.error({ err, store: this.store.name }, 'the store failed: durable messages are refused until it works again (other traffic goes on)');
    } else {
      this.logger.debug({ err: reason }, 'the store still fails');
    }
    this.failure = error;
    // Ahead of what was asked for while this batch was being written.
    const carried = carryLeftovers(units, error, this.options.groupCommit);
    this.units = [...carried, ...this.units];
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closing) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryDelayMs ?? 2000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.flush();
    }, delay);
    this.retryTimer.unref();
  }
}
