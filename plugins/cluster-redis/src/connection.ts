/**
 * The node's one Redis connection (ioredis), and what the log says about it: each loss and each
 * recovery once, whatever number of reconnection attempts lies between (issue 16: "nodes reconnect
 * and carry on by themselves; the log says what happened").
 *
 * ioredis reconnects by itself (retryStrategy) and queues commands meanwhile
 * (`maxRetriesPerRequest: null`: a command waits for the connection rather than failing after 20
 * attempts); `enableAutoPipelining` sends every command of one event-loop turn in one write, the
 * batching per turn the issue asks for.
 */
import { Redis, type Result } from 'ioredis';
import type { Logger } from 'pino';
import { LEASE_LUA, LIVE_LUA, RELEASE_LUA } from './scripts.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    wharfLease(nodeKey: string, nodesKey: string, token: string, leaseMs: number, id: string): Result<[string, string, number], Context>;
    wharfLive(nodesKey: string, nodeKeyPrefix: string, forgetAfterMs: number): Result<string[], Context>;
    wharfRelease(nodeKey: string, nodesKey: string, token: string, id: string): Result<number, Context>;
  }
}

/** Longest wait between two reconnection attempts. */
const MAX_RETRY_DELAY_MS = 1000;

export type LinkState = 'connecting' | 'up' | 'lost' | 'closed';

export class RedisLink {
  readonly redis: Redis;
  private linkState: LinkState = 'connecting';
  private lostAt = 0;
  private lastError: string | undefined;
  private unreachableLogged = false;

  constructor(
    readonly url: string,
    private readonly shownUrl: string,
    private readonly logger: Logger,
    connectionName: string,
  ) {
    this.redis = new Redis(url, {
      connectionName,
      enableAutoPipelining: true,
      maxRetriesPerRequest: null,
      retryStrategy: (attempt) => Math.min(50 * attempt, MAX_RETRY_DELAY_MS),
      // Liveness needs a node to notice a dead server quickly, not only when the kernel gives up.
      keepAlive: 1000,
      lazyConnect: true,
    });
    this.redis.defineCommand('wharfLease', { numberOfKeys: 2, lua: LEASE_LUA });
    this.redis.defineCommand('wharfLive', { numberOfKeys: 1, lua: LIVE_LUA });
    this.redis.defineCommand('wharfRelease', { numberOfKeys: 2, lua: RELEASE_LUA });
    this.redis.on('ready', () => this.onReady());
    this.redis.on('close', () => this.onClose());
    // Without a listener ioredis prints every failed attempt; the state changes above say enough.
    this.redis.on('error', (err: Error) => this.onError(err));
  }

  get state(): LinkState {
    return this.linkState;
  }

  /** The last connection error, for messages. */
  get lastErrorMessage(): string | undefined {
    return this.lastError;
  }

  /** Starts connecting (and reconnecting for ever); never rejects. */
  open(): void {
    this.redis.connect().catch(() => undefined);
  }

  /** Says once, at start, that Redis cannot be reached and that the node goes on without it. */
  logUnreachableAtStart(waitedMs: number): void {
    if (this.linkState === 'up' || this.unreachableLogged) return;
    this.unreachableLogged = true;
    this.logger.warn(
      { url: this.shownUrl, waitedMs, error: this.lastError },
      `cluster: Redis at ${this.shownUrl} is unreachable at start (${this.lastError ?? 'no answer'}); this node runs on and keeps retrying, and joins the cluster when Redis answers`,
    );
  }

  /** Closes the connection: QUIT when it answers soon, else a hard disconnect. */
  async close(): Promise<void> {
    if (this.linkState === 'closed') return;
    const wasUp = this.linkState === 'up';
    this.linkState = 'closed';
    if (wasUp) {
      const quit = this.redis.quit().catch(() => undefined);
      await Promise.race([quit, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    }
    this.redis.disconnect();
  }

  /** Drops the connection without a word to Redis, as a crashed process would. */
  abandon(): void {
    this.linkState = 'closed';
    this.redis.disconnect();
  }

  private onReady(): void {
    if (this.linkState === 'closed') return;
    if (this.linkState === 'lost') {
      this.logger.info({ url: this.shownUrl, downMs: Date.now() - this.lostAt }, `cluster: connection to Redis at ${this.shownUrl} is back after ${Date.now() - this.lostAt} ms`);
    } else if (this.unreachableLogged) {
      this.logger.info({ url: this.shownUrl }, `cluster: Redis at ${this.shownUrl} answers now`);
    } else {
      this.logger.debug({ url: this.shownUrl }, 'cluster: connected to Redis');
    }
    this.linkState = 'up';
  }

  private onClose(): void {
    if (this.linkState !== 'up') return;
    this.linkState = 'lost';
    this.lostAt = Date.now();
    this.logger.warn(
      { url: this.shownUrl, error: this.lastError },
      `cluster: lost the connection to Redis at ${this.shownUrl}${this.lastError === undefined ? '' : ` (${this.lastError})`}; reconnecting`,
    );
  }

  private onError(err: Error): void {
    this.lastError = err.message;
  }
}
