/** Per-listener settings of the STOMP adapter (a listener's `options`); every one has a safe default. */
import type { JsonSchema } from '@wharf/core';

export interface StompOptions {
  /** Largest body accepted, in bytes (STOMP frames carry `content-length`). */
  readonly maxBodyBytes: number;
  /** Most headers in one frame. */
  readonly maxHeaders: number;
  /** Longest command or header line, in bytes. */
  readonly maxHeaderLineBytes: number;
  /**
   * Before CONNECTED, the largest frame in bytes (its command, header lines and EOLs; CONNECT carries no body, a
   * frame pipelined behind it may carry a body within this); all bytes read before CONNECTED stay within
   * PIPELINE_FRAMES_BEFORE_CONNECTED times it. docs/security.md "Input limits".
   */
  readonly maxHeaderBytesBeforeConnect: number;
  /**
   * Most heart-beat EOLs (STOMP 1.2 §Heart-beating) a connected client may send per second, not counting one EOL
   * after each frame; raised to 4 per interval for a client whose CONNECT promises beats more often.
   */
  readonly maxHeartBeatsPerSecond: number;
  /** Time a client has to send CONNECT after it opened the connection. */
  readonly connectTimeoutMs: number;
  /**
   * A session that agreed no heart-beats from the client, from which nothing was read and to which
   * nothing was written for this long, is closed with an ERROR (idle.ts); 0 turns the limit off.
   */
  readonly idleTimeoutMs: number;
  /** Most subscriptions one connection may hold. */
  readonly maxSubscriptions: number;
  /** Most unacknowledged messages per subscription in client ack modes (the largest prefetch-count). */
  readonly maxUnackedPerSubscription: number;
  /** Most open connections on this listener. */
  readonly maxConnections: number;
  /**
   * What the server offers in CONNECTED `heart-beat` (STOMP 1.2 §Heart-beating), as the floors of
   * the two intervals: [the shortest interval it sends beats at, the shortest it checks a client's
   * beats at]. Each side's wish above the floor wins: max(sx, cy) and max(cx, sy). In a listener's
   * options either `[send, receive]` or `{ minSendMs, minReceiveMs }`; resolved to the pair.
   */
  readonly heartBeat: readonly [number, number];
  /** A connection silent for longer than the agreed interval times this factor is closed. */
  readonly heartBeatGrace: number;
  /** Bytes queued for one client before its subscriptions are paused (backpressure). */
  readonly writeHighWaterMark: number;
}

/**
 * The default floors: small, so a client's own wish decides (`heart-beat:0,500` gets a beat about
 * every 500 ms; a client promising `500,0` that goes silent is closed after 500 ms × the grace),
 * and large enough that timers cost nothing to speak of.
 */
export const DEFAULT_MIN_SEND_MS = 100;
export const DEFAULT_MIN_RECEIVE_MS = 100;

/** What a listener's options may say for `heartBeat`. */
export type HeartBeatOption = readonly [number, number] | { readonly minSendMs?: number; readonly minReceiveMs?: number };

/** The pair CONNECTED offers, from either form of the option. */
export function heartBeatOffer(option: HeartBeatOption | undefined): readonly [number, number] {
  if (option === undefined) return [DEFAULT_MIN_SEND_MS, DEFAULT_MIN_RECEIVE_MS];
  if (Array.isArray(option)) return [option[0] ?? DEFAULT_MIN_SEND_MS, option[1] ?? DEFAULT_MIN_RECEIVE_MS];
  const floors = option as { readonly minSendMs?: number; readonly minReceiveMs?: number };
  return [floors.minSendMs ?? DEFAULT_MIN_SEND_MS, floors.minReceiveMs ?? DEFAULT_MIN_RECEIVE_MS];
}

/** A listener's options as written (validated), before the adapter resolves them to StompOptions. */
export type StompListenerOptions = Partial<Omit<StompOptions, 'heartBeat'>> & { readonly heartBeat?: HeartBeatOption };

/** Defaults filled in and `heartBeat` resolved to the pair: done once per listener. */
export function resolveStompOptions(options: StompListenerOptions | undefined): StompOptions {
  return { ...DEFAULT_STOMP_OPTIONS, ...options, heartBeat: heartBeatOffer(options?.heartBeat) };
}

export const stompOptionsSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    maxBodyBytes: { type: 'integer', minimum: 0, default: 4 * 1024 * 1024, description: 'largest body accepted, in bytes (default 4 MiB)' },
    maxHeaders: { type: 'integer', minimum: 1, default: 64, description: 'most headers in one frame' },
    maxHeaderLineBytes: { type: 'integer', minimum: 64, default: 8192, description: 'longest command or header line, in bytes' },
    maxHeaderBytesBeforeConnect: {
      type: 'integer', minimum: 2048, default: 4096,
      description: 'before CONNECTED (no login yet), the largest frame in bytes: CONNECT carries no body; all bytes read before CONNECTED stay within 16 times this',
    },
    maxHeartBeatsPerSecond: {
      type: 'integer', minimum: 1, default: 100,
      description: 'most heart-beat EOLs a client may send per second (one EOL after each frame is free; a client promising beats more often than 40 ms gets 4 per interval); more: ERROR and close',
    },
    connectTimeoutMs: { type: 'integer', minimum: 1, default: 10000, description: 'time allowed to send CONNECT, in ms' },
    idleTimeoutMs: {
      type: 'integer', minimum: 0, default: 300000,
      description: 'a session without client heart-beats that reads and writes nothing for this long is closed with an ERROR, in ms (default 5 minutes); 0 turns it off',
    },
    maxSubscriptions: { type: 'integer', minimum: 1, default: 1000, description: 'most subscriptions per connection' },
    maxUnackedPerSubscription: { type: 'integer', minimum: 1, default: 10000, description: 'most unacknowledged messages per subscription in client ack modes' },
    maxConnections: { type: 'integer', minimum: 1, default: 10000, description: 'most open connections on this listener' },
    heartBeat: {
      description: 'the heart-beat floors the server offers: { minSendMs, minReceiveMs } (or [send, receive]); a client\'s wish above them wins; 0 disables a direction',
      default: { minSendMs: DEFAULT_MIN_SEND_MS, minReceiveMs: DEFAULT_MIN_RECEIVE_MS },
      anyOf: [
        {
          type: 'object',
          additionalProperties: false,
          properties: {
            minSendMs: { type: 'integer', minimum: 0, description: `the shortest interval between the server's beats, ms (default ${DEFAULT_MIN_SEND_MS}); 0: it sends none` },
            minReceiveMs: { type: 'integer', minimum: 0, description: `the shortest interval at which a client's beats are checked, ms (default ${DEFAULT_MIN_RECEIVE_MS}); 0: none are checked` },
          },
        },
        { type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2, description: '[send, receive] ms, as in CONNECTED' },
      ],
    },
    heartBeatGrace: { type: 'number', minimum: 1, default: 1.5, description: 'silence allowed, as a multiple of the agreed heart-beat interval' },
    writeHighWaterMark: { type: 'integer', minimum: 1024, default: 1024 * 1024, description: 'bytes queued for one client before delivery to it pauses' },
  },
};

/** The defaults, for adapters used without a listener config (tests over in-memory streams). */
export const DEFAULT_STOMP_OPTIONS: StompOptions = {
  maxBodyBytes: 4 * 1024 * 1024,
  maxHeaders: 64,
  maxHeaderLineBytes: 8192,
  maxHeaderBytesBeforeConnect: 4096,
  maxHeartBeatsPerSecond: 100,
  connectTimeoutMs: 10000,
  idleTimeoutMs: 300000,
  maxSubscriptions: 1000,
  maxUnackedPerSubscription: 10000,
  maxConnections: 10000,
  heartBeat: [DEFAULT_MIN_SEND_MS, DEFAULT_MIN_RECEIVE_MS],
  heartBeatGrace: 1.5,
  writeHighWaterMark: 1024 * 1024,
};
