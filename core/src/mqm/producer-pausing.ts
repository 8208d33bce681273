/**
 * Producer pausing, the MQM's side of flow control (flow-control.ts has the memory alarm). A
 * destination is *throttled* while it says it is blocked (QueueContext.flow.blocked), or while the
 * broker-wide memory alarm is raised and it is one of the destinations that hold most of the
 * memory (`holders`). A session that sends to a throttled destination (directly or through a
 * pubsub) is paused (SessionControl.pauseReading) until every destination it waits for is no
 * longer throttled. Nothing accepted is refused or dropped for it, and a session that sends only
 * elsewhere is never paused: one stuck queue cannot stop unrelated traffic (issue 15, item 3).
 *
 * It keeps its own record of who is paused and why: sessions never see it, and a closing session
 * only tells it to forget it.
 */
import type { Logger } from 'pino';
import type { Message } from '../spi/message.js';
import type { SessionControl } from '../spi/protocol.js';
import type { SessionInfo } from '../spi/queue.js';
import type { BlockedDestinations, DestinationTable, Entry } from './destinations.js';
import type { FlowListener } from './flow-control.js';

/** A session as pausing sees it. */
export interface PausableSession extends SessionInfo {
  readonly control: SessionControl;
}

/** The memory alarm throttles the largest holders that together hold this share of what destinations hold. */
export const HOLDERS_SHARE = 0.8;

/**
 * The destinations the memory alarm throttles: the largest holders, taken largest first until
 * together they hold `share` of every destination's held bytes. A destination holding nothing is
 * never among them; neither is one whose backlog is small next to the others'.
 */
export function holders(entries: Iterable<Entry>, share = HOLDERS_SHARE): Entry[] {
  const holding: Entry[] = [];
  let total = 0;
  for (const entry of entries) {
    if (entry.holding.bytes <= 0) continue;
    holding.push(entry);
    total += entry.holding.bytes;
  }
  holding.sort((a, b) => b.holding.bytes - a.holding.bytes);
  const chosen: Entry[] = [];
  let taken = 0;
  for (const entry of holding) {
    if (taken >= share * total) break;
    chosen.push(entry);
    taken += entry.holding.bytes;
  }
  return chosen;
}

export class ProducerPausing implements FlowListener, BlockedDestinations {
  /** The memory alarm is raised. */
  private alarm = false;
  /** Said once per alarm: memory is short, but no destination holds any of it. */
  private toldNoHolders = false;
  /** Destinations throttled now (blocked or hot). */
  private throttledCount = 0;
  /** Destinations made hot by the memory alarm. */
  private hot: Entry[] = [];
  /** Sends must go through publishThrottled: some destination is throttled (read per send). */
  engaged = false;
  /** Same as engaged: a send may have to pause its session after publishing (read per send). */
  blocking = false;
  /** Paused sessions and the destinations they wait for. */
  private readonly reasons = new Map<PausableSession, Set<Entry>>();
  /** The session whose send is being published (for a throttled destination reached through a pubsub). */
  private sender: PausableSession | undefined;

  constructor(
    private readonly table: DestinationTable,
    private readonly logger: Logger,
  ) {
    table.blockedListener = this;
  }

  /** Sessions paused now. */
  get pausedCount(): number {
    let count = 0;
    for (const reasons of this.reasons.values()) if (reasons.size > 0) count++;
    return count;
  }

  /** Names of the destinations the memory alarm throttles now (for tests and diagnosis). */
  get hotDestinations(): string[] {
    return this.hot.map((entry) => entry.name);
  }

  /**
   * Publishes `message` from `session` while some destination is throttled: it is accepted as
   * always; a throttled destination it reached (directly or through a pubsub) pauses the sender.
   */
  publishThrottled(session: PausableSession, name: string, message: Message): void | Promise<void> {
    const outer = this.sender; // a send made from inside a delivery (a plugin's consumer) nests
    this.sender = session;
    try {
      return this.table.publishTo(name, message, session);
    } finally {
      this.sender = outer;
    }
  }

  /** After an unthrottled publish while `blocking`: this very message may have throttled its destination. */
  afterPublish(session: PausableSession, name: string): void {
    const entry = this.table.get(name);
    if (entry?.throttled) this.pause(session, entry);
  }

  /** The memory alarm changed (FlowController). Raised: the largest holders are throttled; cleared: none. */
  alarmChanged(raised: boolean): void {
    this.alarm = raised;
    this.toldNoHolders = false;
    this.rescope(raised ? holders(this.table.values()) : []);
  }

  /** Each sample while the alarm stays raised: the holders may have changed (drained, paged out, new ones). */
  alarmStillRaised(): void {
    if (this.alarm) this.rescope(holders(this.table.values()));
  }

  /** A destination passed its high-watermark, or came back under its low one (QueueContext.flow.blocked). */
  setBlocked(name: string, blocked: boolean): void {
    const entry = this.table.get(name);
    if (entry === undefined || entry.blocked === blocked) return;
    entry.blocked = blocked;
    this.logger.debug({ destination: name, blocked }, blocked ? 'destination over its high-watermark: its producers are paused' : 'destination below its low-watermark: its producers resume');
    this.updateThrottled(entry);
  }

  // ------------------------------------------------------------ BlockedDestinations (the table)

  publishedWhileBlocked(entry: Entry): void {
    if (this.sender !== undefined) this.pause(this.sender, entry);
  }

  removed(entry: Entry): void {
    entry.blocked = false;
    if (entry.hot) {
      entry.hot = false;
      this.hot = this.hot.filter((e) => e !== entry);
    }
    this.updateThrottled(entry);
    this.releaseWaiting(entry);
  }

  /** A closing session leaves every waiting list. */
  forget(session: PausableSession): void {
    const reasons = this.reasons.get(session);
    if (reasons === undefined) return;
    this.reasons.delete(session);
    for (const entry of reasons) entry.waiting?.delete(session);
  }

  // ------------------------------------------------------------ internals

  /** Makes exactly `next` the hot destinations. */
  private rescope(next: Entry[]): void {
    const previous = this.hot;
    this.hot = next;
    const before = new Set(previous);
    let changed = false;
    for (const entry of previous) entry.hot = false; // set again below if it stays hot
    for (const entry of next) {
      if (!before.has(entry)) changed = true;
      entry.hot = true;
      this.updateThrottled(entry);
    }
    for (const entry of previous) {
      if (entry.hot) continue;
      changed = true;
      this.updateThrottled(entry);
    }
    if (next.length > 0) {
      if (changed) {
        this.logger.warn({ destinations: next.map((e) => e.name), heldMB: next.map((e) => Math.round(e.holding.bytes / 1048576)) },
          'memory alarm: producers sending to these destinations are paused until their consumers catch up');
      }
    } else if (this.alarm && !this.toldNoHolders) {
      this.toldNoHolders = true;
      this.logger.warn('memory alarm, but no destination holds messages: nobody is paused (the memory is used by something else)');
    }
  }

  /** Recomputes entry.throttled from blocked and hot; releases its waiting senders when it is no longer. */
  private updateThrottled(entry: Entry): void {
    const throttled = entry.blocked || entry.hot;
    if (entry.throttled === throttled) return;
    entry.throttled = throttled;
    this.throttledCount += throttled ? 1 : -1;
    this.blocking = this.engaged = this.throttledCount > 0;
    if (!throttled) this.releaseWaiting(entry);
  }

  private releaseWaiting(entry: Entry): void {
    const waiting = entry.waiting as Set<PausableSession> | undefined;
    if (waiting === undefined) return;
    entry.waiting = undefined;
    for (const session of waiting) this.unpause(session, entry);
  }

  private pause(session: PausableSession, entry: Entry): void {
    if (session.closed) return;
    let reasons = this.reasons.get(session);
    if (reasons === undefined) this.reasons.set(session, reasons = new Set());
    if (reasons.has(entry)) return;
    reasons.add(entry);
    (entry.waiting ??= new Set()).add(session);
    if (reasons.size === 1) session.control.pauseReading?.();
  }

  private unpause(session: PausableSession, entry: Entry): void {
    const reasons = this.reasons.get(session);
    if (reasons === undefined || !reasons.delete(entry)) return;
    if (reasons.size > 0) return;
    this.reasons.delete(session);
    if (!session.closed) session.control.resumeReading?.();
  }
}
