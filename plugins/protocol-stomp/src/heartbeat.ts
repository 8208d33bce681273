/**
 * Heart-beating (STOMP 1.2 §Heart-beating). CONNECT says `heart-beat: cx,cy` (the client can send
 * every cx ms; wants to receive every cy ms); CONNECTED answers `sx,sy`. The client→server interval
 * is max(cx, sy) and server→client max(sx, cy), each 0 (none) when either side says 0.
 */
export interface HeartBeatPlan {
  /** How often the server must send something (a beat if nothing else), ms; 0 = never. */
  readonly sendEvery: number;
  /** How often the client promised to send something, ms; 0 = no check. */
  readonly expectEvery: number;
}

export function parseHeartBeat(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return [0, 0];
  const match = /^\s*(\d{1,9})\s*,\s*(\d{1,9})\s*$/.exec(value);
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2])];
}

export function negotiate(client: readonly [number, number], server: readonly [number, number]): HeartBeatPlan {
  const [cx, cy] = client;
  const [sx, sy] = server;
  return {
    sendEvery: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy),
    expectEvery: cx === 0 || sy === 0 ? 0 : Math.max(cx, sy),
  };
}

/**
 * Runs the two timers of one connection. Each is armed for the moment its deadline falls due
 * (last write + sendEvery; last read + expectEvery × grace) and, when it fires early because
 * traffic moved the deadline, re-armed for the new one: beats go out at the agreed interval,
 * not up to a timer period late, and busy connections cost one timer run per interval.
 */
export class HeartBeat {
  private sendTimer: NodeJS.Timeout | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private lastRead = Date.now();
  private lastWrite = Date.now();
  /** The last flush that carried more than a beat of ours (the idle limit does not count our beats). */
  private lastFrameWrite = Date.now();
  /**
   * A beat was queued and its flush has not happened yet. A frame that shares that flush is not counted
   * as activity: a beat goes out only after sendEvery without any write, so that is rare and costs one frame.
   */
  private beatQueued = false;
  private stopped = false;
  private readsSuspended = false;

  constructor(
    private readonly plan: HeartBeatPlan,
    private readonly grace: number,
    private readonly sendBeat: () => void,
    private readonly onSilence: (silentMs: number) => void,
  ) {}

  start(): void {
    if (this.plan.sendEvery > 0) this.armSend(this.plan.sendEvery);
    if (this.plan.expectEvery > 0) this.armCheck(Math.ceil(this.plan.expectEvery * this.grace) + 1);
  }

  /** Any bytes from the client count as a sign of life. */
  read(): void {
    this.lastRead = Date.now();
  }

  /**
   * Flow control stopped reading the client (true) or reads it again (false): a client that is not
   * read cannot be heard, so it is not taken for gone meanwhile, and its interval starts anew.
   */
  suspendReads(suspended: boolean): void {
    this.readsSuspended = suspended;
    this.lastRead = Date.now();
  }

  wrote(): void {
    this.lastWrite = Date.now();
    if (this.beatQueued) this.beatQueued = false;
    else this.lastFrameWrite = this.lastWrite;
  }

  /** True when the client promised beats and they are checked: its silence is this class's concern. */
  get checksClient(): boolean {
    return this.plan.expectEvery > 0;
  }

  /**
   * When this connection last moved — bytes read from the client, or a flush that was not just one of
   * our beats — for the idle limit (idle.ts); now while reads are suspended (the client cannot be heard).
   */
  lastActivity(now: number): number {
    return this.readsSuspended ? now : Math.max(this.lastRead, this.lastFrameWrite);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.sendTimer);
    clearTimeout(this.checkTimer);
  }

  /** STOMP 1.2 §Heart-beating: the server sends something at least every sendEvery ms. */
  private armSend(delay: number): void {
    this.sendTimer = setTimeout(() => {
      if (this.stopped) return;
      const due = this.lastWrite + this.plan.sendEvery - Date.now();
      // Within a millisecond or two of the deadline counts as due: timers fire a little early.
      if (due <= 2) {
        this.beatQueued = true;
        this.sendBeat();
        this.lastWrite = Date.now();
        this.armSend(this.plan.sendEvery);
      } else this.armSend(due);
    }, Math.max(1, delay));
    this.sendTimer.unref();
  }

  /** STOMP 1.2 §Heart-beating: a client silent for longer than its interval (times the grace) is gone. */
  private armCheck(delay: number): void {
    this.checkTimer = setTimeout(() => {
      if (this.stopped) return;
      const allowed = this.plan.expectEvery * this.grace;
      if (this.readsSuspended) this.lastRead = Date.now();
      const silent = Date.now() - this.lastRead;
      if (silent > allowed) this.onSilence(silent);
      else this.armCheck(allowed - silent + 1);
    }, Math.max(1, delay));
    this.checkTimer.unref();
  }
}
