/**
 * Producer pausing, the MQM's side of flow control (flow-control.ts has the memory alarm): while
 * the broker-wide memory alarm is raised, or a destination a session sends to says it is blocked
 * (QueueContext.flow.blocked), the session that sends is paused (SessionControl.pauseReading)
 * until every reason for it is gone. Nothing accepted is refused or dropped for it.
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

/** Why a session is paused: the broker-wide memory alarm, or a blocked destination. */
const ALARM = 'memory alarm';
type PauseReason = typeof ALARM | Entry;

export class ProducerPausing implements FlowListener, BlockedDestinations {
  /** The memory alarm is raised: sessions that send are paused. */
  private alarm = false;
  /** Destinations that said they are blocked. */
  private blockedCount = 0;
  /** Sends must go through publishThrottled: the alarm is raised or a destination is blocked (read per send). */
  engaged = false;
  /** Some destination is blocked: a send may have to pause its session after publishing (read per send). */
  blocking = false;
  /** Paused sessions and why. */
  private readonly reasons = new Map<PausableSession, Set<PauseReason>>();
  /** Sessions paused by the memory alarm. */
  private readonly alarmed = new Set<PausableSession>();
  /** The session whose send is being published (for a blocked destination reached through a pubsub). */
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

  /**
   * Publishes `message` from `session` while flow control is engaged: it is accepted as always;
   * then the sender is paused if the memory alarm is raised or a destination it reached is blocked.
   */
  publishThrottled(session: PausableSession, name: string, message: Message): void | Promise<void> {
    const outer = this.sender; // a send made from inside a delivery (a plugin's consumer) nests
    this.sender = session;
    try {
      return this.table.publishTo(name, message, session);
    } finally {
      this.sender = outer;
      if (this.alarm) this.pause(session, ALARM);
    }
  }

  /** After an unthrottled publish while `blocking`: this very message may have taken its destination over its mark. */
  afterPublish(session: PausableSession, name: string): void {
    const entry = this.table.get(name);
    if (entry?.blocked) this.pause(session, entry);
  }

  /** The memory alarm changed (FlowController). Raised: senders are paused as they send. */
  alarmChanged(raised: boolean): void {
    this.alarm = raised;
    this.changed();
    if (raised) return;
    const paused = [...this.alarmed];
    this.alarmed.clear();
    for (const session of paused) this.unpause(session, ALARM);
  }

  /** A destination passed its high-watermark, or came back under its low one (QueueContext.flow.blocked). */
  setBlocked(name: string, blocked: boolean): void {
    const entry = this.table.get(name);
    if (entry === undefined || entry.blocked === blocked) return;
    entry.blocked = blocked;
    this.blockedCount += blocked ? 1 : -1;
    this.changed();
    this.logger.debug({ destination: name, blocked }, blocked ? 'destination over its high-watermark: its producers are paused' : 'destination below its low-watermark: its producers resume');
    if (!blocked) this.releaseWaiting(entry);
  }

  // ------------------------------------------------------------ BlockedDestinations (the table)

  publishedWhileBlocked(entry: Entry): void {
    if (this.sender !== undefined) this.pause(this.sender, entry);
  }

  removed(entry: Entry): void {
    if (entry.blocked) {
      entry.blocked = false;
      this.blockedCount--;
      this.changed();
    }
    this.releaseWaiting(entry);
  }

  private changed(): void {
    this.blocking = this.blockedCount > 0;
    this.engaged = this.alarm || this.blocking;
  }

  /** A closing session leaves every waiting list. */
  forget(session: PausableSession): void {
    const reasons = this.reasons.get(session);
    if (reasons === undefined) return;
    this.reasons.delete(session);
    for (const reason of reasons) {
      if (reason === ALARM) this.alarmed.delete(session);
      else reason.waiting?.delete(session);
    }
  }

  private releaseWaiting(entry: Entry): void {
    const waiting = entry.waiting as Set<PausableSession> | undefined;
    if (waiting === undefined) return;
    entry.waiting = undefined;
    for (const session of waiting) this.unpause(session, entry);
  }

  private pause(session: PausableSession, reason: PauseReason): void {
    if (session.closed) return;
    let reasons = this.reasons.get(session);
    if (reasons === undefined) this.reasons.set(session, reasons = new Set());
    if (reasons.has(reason)) return;
    reasons.add(reason);
    if (reason === ALARM) this.alarmed.add(session);
    else (reason.waiting ??= new Set()).add(session);
    if (reasons.size === 1) session.control.pauseReading?.();
  }

  private unpause(session: PausableSession, reason: PauseReason): void {
    const reasons = this.reasons.get(session);
    if (reasons === undefined || !reasons.delete(reason)) return;
    if (reasons.size > 0) return;
    this.reasons.delete(session);
    if (!session.closed) session.control.resumeReading?.();
  }
}
