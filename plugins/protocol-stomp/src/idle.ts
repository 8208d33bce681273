/**
 * The idle limit (listener option `idleTimeoutMs`): a session that agreed no heart-beats from the
 * client (CONNECT `heart-beat:0,…`, STOMP 1.0, or a server floor of 0) is never checked by
 * heartbeat.ts, so without this a client could CONNECT and then hold its place for ever, doing
 * nothing. One coarse timer per adapter looks at every connection a few times per timeout; a
 * session from which nothing was read and to which nothing but our own beats was written for
 * `idleTimeoutMs` gets an ERROR saying so and is closed. Sessions with client heart-beats are left
 * to heart-beat checking; connections that have not sent CONNECT yet, to `connectTimeoutMs`. The
 * connections' own clocks (HeartBeat's last read and write) are those heart-beating keeps anyway:
 * nothing is added per frame.
 */
import { ErrorCodes, WharfError } from '@wharf/core';
import type { StompConnection } from './connection.js';

/** The sweep looks this many times per timeout: a session is closed between 1 and 1.25 timeouts idle. */
const SWEEPS_PER_TIMEOUT = 4;
/** Short timeouts (tests) are not swept more often than this. */
const MIN_SWEEP_MS = 50;

export class IdleSweep {
  private timer: NodeJS.Timeout | undefined;
  private period = Number.POSITIVE_INFINITY;

  constructor(private readonly connections: ReadonlySet<StompConnection>) {}

  /** A listener whose idle limit is `timeoutMs` (0: none) has a connection: sweep often enough for it. */
  cover(timeoutMs: number): void {
    if (timeoutMs <= 0) return;
    const period = Math.max(MIN_SWEEP_MS, Math.floor(timeoutMs / SWEEPS_PER_TIMEOUT));
    if (period >= this.period) return;
    this.period = period;
    clearInterval(this.timer);
    this.timer = setInterval(() => this.sweep(Date.now()), period);
    this.timer.unref();
  }

  /** Closes every session idle past its listener's limit. */
  sweep(now: number): void {
    for (const connection of this.connections) {
      const timeout = connection.options.idleTimeoutMs;
      const beat = connection.heartBeat;
      if (timeout <= 0 || beat === undefined || beat.checksClient || !connection.isOpen) continue;
      const idle = now - beat.lastActivity(now);
      if (idle >= timeout) connection.fail(idleError(idle, timeout));
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.period = Number.POSITIVE_INFINITY;
  }
}

function idleError(idleMs: number, timeoutMs: number): WharfError {
  return new WharfError(ErrorCodes.LIMIT,
    `idle for ${idleMs} ms with no heart-beats from the client: nothing read or written (limit idleTimeoutMs, ${timeoutMs} ms)`, {
      hint: 'send heart-beats (CONNECT heart-beat:10000,10000) or traffic, or raise the listener\'s idleTimeoutMs (0 turns the limit off)',
      details: { limit: 'idleTimeoutMs' },
    });
}
