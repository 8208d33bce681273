/**
 * Delivery marks that wait for the acknowledgement (docs/durability.md): a message handed to a
 * client-mode consumer gets a `delivered` store operation, so that a restart marks it
 * redelivered; but most are acknowledged within milliseconds, and then the mark is moot. So a mark
 * is not written at once: it waits, young then old, and joins the first batch at least
 * MARK_DELAY_MS after it was made (25 to 50 ms); an acknowledgement meanwhile cancels it. A crash
 * may lose the last marks: the delivery horizons (delivery-horizons.ts) cover those.
 *
 * The durability service (durability.ts) owns the batches; this keeps the marks and their clock
 * apart from them. Per delivery, the service's DurableLog works on the destination's Marks
 * directly (a set add, or a delete on ack); this object is reached only when a destination's
 * first mark of an interval is listed, and when the marks age, once per flush.
 */
import { deferred, type Unit } from './durability-units.js';

/** How long a delivery mark waits for its message's acknowledgement before it is written (at most twice that). */
export const MARK_DELAY_MS = 25;

/** The delivery marks of one destination not yet written (message ids): made since the marks last aged, and before. */
export interface Marks {
  readonly destination: string;
  young: Set<string>;
  old: Set<string>;
  /** Listed in DeliveryMarks.marked. */
  listed: boolean;
}

export class DeliveryMarks {
  /** Destinations with delivery marks waiting. */
  private marked: Marks[] = [];
  /** When the marks last aged (young to old, old to the batch). */
  private agedAt = 0;
  /** Brings a flush for waiting marks when no other write comes. */
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  /**
   * `flush` writes what is due (Durability's flush, which calls age()); `unitFor` gives the unit
   * old marks join (the batch being filled).
   */
  constructor(
    private readonly flush: () => void,
    private readonly unitFor: () => Unit,
  ) {}

  /** The (empty) marks of one destination, for its DurableLog. */
  forDestination(destination: string): Marks {
    return { destination, young: new Set(), old: new Set(), listed: false };
  }

  /** A destination's first mark since it was last listed: it waits for the next aging. */
  list(marks: Marks): void {
    marks.listed = true;
    this.marked.push(marks);
    this.arm();
  }

  /**
   * Every MARK_DELAY_MS (or at once, `force`): the old marks (they waited that long for an
   * acknowledgement that did not come) join the unit `unitFor` gives, the young ones become old,
   * and lists left empty are dropped.
   */
  age(force: boolean): void {
    const marked = this.marked;
    if (marked.length === 0) return;
    const now = Date.now();
    if (!force && now - this.agedAt < MARK_DELAY_MS) return;
    this.agedAt = now;
    let unit: Unit | undefined;
    let kept = 0;
    for (let i = 0; i < marked.length; i++) {
      const marks = marked[i]!;
      if (marks.old.size > 0) {
        unit ??= this.unitFor();
        const destination = marks.destination;
        for (const id of marks.old) unit.ops.push({ op: 'delivered', destination, id });
        unit.applied ??= deferred();
        marks.old.clear();
      }
      if (marks.young.size > 0) {
        const aged = marks.old;
        marks.old = marks.young;
        marks.young = aged;
        marked[kept++] = marks;
      } else {
        marks.listed = false;
      }
    }
    marked.length = kept;
  }

  /** Makes sure a flush comes when the waiting marks are due, should no other write bring one. */
  arm(): void {
    if (this.marked.length === 0 || this.timer !== undefined || this.stopped) return;
    const due = Math.max(1, this.agedAt + MARK_DELAY_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, due);
    this.timer.unref();
  }

  /** The service is closing: no more timers (what waits goes out with the last batch: age(true) twice). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
