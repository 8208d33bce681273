/**
 * One broker's membership in the cluster: its lease on its node id, refreshed every leaseMs/3, and
 * what it knows of the other nodes (polled at the same pace, in the same pipeline).
 *
 * - At start the node claims `<prefix>:node:<id>`. Another live process holding that id makes the
 *   start fail (WHARF_ERR_CONFIG): two nodes minting the same ids would break "message ids unique
 *   across the cluster". Redis unreachable at start: the node logs it once and runs on; the claim
 *   is made when Redis answers (a collision found then is logged as an error, and the node stops
 *   refreshing: it never takes a lease from its holder).
 * - A refresh that finds the lease gone (Redis was unreachable, or this process stalled, for
 *   longer than leaseMs) claims it again and emits `lease-lost`: the other nodes may have taken its
 *   work over meanwhile, so whatever it held is no longer its own (docs/cluster.md).
 * - Redis hung (SIGSTOP, a full network buffer): a refresh unanswered after leaseMs/3 is logged
 *   once, and its answer is logged once; no second refresh is sent while one is unanswered.
 * - `node-up` / `node-down` are emitted as leases appear and expire.
 */
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '@wharf/core';
import { RedisLink } from './connection.js';
import { ClusterKeys } from './keys.js';
import { redactUrl } from './options.js';

export interface ClusterNodeOptions {
  readonly url: string;
  readonly prefix: string;
  /** NODE_ID_WIDTH characters, as core's IdMinter writes it. */
  readonly nodeId: string;
  /** Whether the id was generated (says so in a collision's message). */
  readonly generatedId: boolean;
  readonly leaseMs: number;
  readonly logger: Logger;
}

export type NodeState = 'created' | 'joining' | 'live' | 'refused' | 'stopped';

export interface ClusterNodeEvents {
  'node-up': [id: string];
  'node-down': [id: string];
  /** This node's own lease had expired before a refresh reached Redis; it holds it again now. */
  'lease-lost': [];
  /** Another process holds this node's id: this node has stopped refreshing. */
  refused: [error: WharfError];
}

export class ClusterNode extends EventEmitter<ClusterNodeEvents> {
  readonly id: string;
  readonly keys: ClusterKeys;
  readonly leaseMs: number;
  /** How often the lease is refreshed and the other nodes polled. */
  readonly refreshMs: number;
  private readonly link: RedisLink;
  private readonly shownUrl: string;
  /** Tells this process's lease from another's that claims the same id. */
  private readonly token = randomBytes(12).toString('base64url');
  private nodeState: NodeState = 'created';
  private timer: NodeJS.Timeout | undefined;
  private inFlightSince = 0;
  private hungLogged = false;
  private live = new Set<string>();
  private firstClaim: { resolve: () => void; reject: (err: WharfError) => void } | undefined;

  constructor(private readonly options: ClusterNodeOptions) {
    super();
    this.id = options.nodeId;
    this.keys = new ClusterKeys(options.prefix);
    this.leaseMs = options.leaseMs;
    this.refreshMs = Math.max(100, Math.floor(options.leaseMs / 3));
    this.shownUrl = redactUrl(options.url);
    this.link = new RedisLink(options.url, this.shownUrl, options.logger, `wharf:${options.prefix}:${options.nodeId}`);
  }

  get state(): NodeState {
    return this.nodeState;
  }

  /** The live nodes (this one included once it joined), as of the last poll. */
  get liveNodes(): ReadonlySet<string> {
    return this.live;
  }

  /** The ioredis connection, for the parts of the cluster built on this one (one connection for commands). */
  get redis(): RedisLink['redis'] {
    return this.link.redis;
  }

  /**
   * Connects and claims the lease. Resolves once claimed, or after `waitMs` when Redis does not
   * answer (logged; the claim goes on in the background).
   * @throws WharfError CONFIG when another live process holds this node id.
   */
  async start(waitMs: number): Promise<void> {
    if (this.nodeState !== 'created') throw new WharfError(ErrorCodes.CLOSED, `cluster node ${this.id} was already started`);
    this.nodeState = 'joining';
    this.link.open();
    const claimed = new Promise<void>((resolve, reject) => (this.firstClaim = { resolve, reject }));
    this.timer = setInterval(() => this.tick(), this.refreshMs);
    this.timer.unref();
    this.tick();
    let waited: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (waited = setTimeout(() => resolve('timeout'), waitMs)));
    try {
      const outcome = await Promise.race([claimed, timedOut]);
      if (outcome === 'timeout') {
        // The claim goes on without the start: a collision found later is logged (refuse()), not thrown.
        this.firstClaim = undefined;
        this.link.logUnreachableAtStart(waitMs);
      }
    } finally {
      clearTimeout(waited);
    }
  }

  /** Polls the live nodes now (start() and the refresh timer do it by themselves). */
  async refreshLiveNodes(): Promise<ReadonlySet<string>> {
    const ids = await this.link.redis.wharfLive(this.keys.nodes, this.keys.nodePrefix, this.forgetAfterMs());
    this.updateLive(ids);
    return this.live;
  }

  /** A clean stop: gives the lease back (so the others see this node go at once) and closes the connection. */
  async stop(): Promise<void> {
    if (this.nodeState === 'stopped') return;
    const held = this.nodeState === 'live';
    this.halt('stopped');
    if (held && this.link.state === 'up') {
      const release = this.link.redis.wharfRelease(this.keys.node(this.id), this.keys.nodes, this.token, this.id).catch(() => 0);
      await Promise.race([release, new Promise((resolve) => setTimeout(resolve, 500).unref())]);
    }
    await this.link.close();
  }

  /**
   * Stops as a crash would: no more refreshes, the connection dropped, the lease left to expire
   * after leaseMs. For failure tests.
   */
  abandon(): void {
    if (this.nodeState === 'stopped') return;
    this.halt('stopped');
    this.link.abandon();
  }

  private halt(state: NodeState): void {
    this.nodeState = state;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private forgetAfterMs(): number {
    return this.leaseMs * 3;
  }

  /** One refresh: the lease and the live nodes in one pipeline, never two at once. */
  private tick(): void {
    if (this.nodeState !== 'joining' && this.nodeState !== 'live') return;
    if (this.inFlightSince !== 0) {
      this.checkHung();
      return;
    }
    this.inFlightSince = Date.now();
    const pipeline = this.link.redis.pipeline();
    pipeline.wharfLease(this.keys.node(this.id), this.keys.nodes, this.token, this.leaseMs, this.id);
    pipeline.wharfLive(this.keys.nodes, this.keys.nodePrefix, this.forgetAfterMs());
    pipeline.exec().then(
      (results) => this.onRefreshed(results),
      (err: Error) => this.onRefreshFailed(err),
    );
  }

  private checkHung(): void {
    const silentMs = Date.now() - this.inFlightSince;
    if (this.hungLogged || silentMs < this.refreshMs || this.link.state !== 'up') return;
    this.hungLogged = true;
    this.options.logger.warn(
      { url: this.shownUrl, silentMs, leaseMs: this.leaseMs },
      `cluster: Redis at ${this.shownUrl} has not answered for ${silentMs} ms (the connection is open); past ${this.leaseMs} ms every node's lease expires`,
    );
  }

  private onRefreshed(results: [Error | null, unknown][] | null): void {
    const answeredAfter = Date.now() - this.inFlightSince;
    this.inFlightSince = 0;
    if (this.hungLogged) {
      this.hungLogged = false;
      this.options.logger.info({ url: this.shownUrl, silentMs: answeredAfter }, `cluster: Redis at ${this.shownUrl} answers again after ${answeredAfter} ms`);
    }
    if (this.nodeState !== 'joining' && this.nodeState !== 'live') return;
    const [leaseResult, liveResult] = results ?? [];
    if (leaseResult === undefined || leaseResult[0] !== null) {
      this.onRefreshFailed(leaseResult?.[0] ?? new Error('no reply'));
      return;
    }
    const [status, , pttl] = leaseResult[1] as [string, string, number];
    if (status === 'taken') {
      this.refuse(pttl);
      return;
    }
    if (this.nodeState === 'joining') {
      this.nodeState = 'live';
      this.options.logger.info({ nodeId: this.id, prefix: this.options.prefix, leaseMs: this.leaseMs }, `cluster: node ${this.id} joined the cluster ${this.options.prefix} at ${this.shownUrl}`);
      this.firstClaim?.resolve();
      this.firstClaim = undefined;
    } else if (status === 'claimed') {
      this.options.logger.warn(
        { nodeId: this.id, leaseMs: this.leaseMs },
        `cluster: node ${this.id}'s lease had expired (Redis unreachable or this process stalled for more than ${this.leaseMs} ms); claimed again, and whatever it held may have been taken over by other nodes`,
      );
      this.emit('lease-lost');
    }
    if (liveResult !== undefined && liveResult[0] === null) this.updateLive(liveResult[1] as string[]);
  }

  private onRefreshFailed(err: Error): void {
    this.inFlightSince = 0;
    // Connection errors are logged once by the link; a script error is a bug worth seeing each time.
    if (this.link.state === 'up') this.options.logger.error({ err }, `cluster: refreshing node ${this.id}'s lease failed: ${err.message}`);
  }

  private refuse(pttl: number): void {
    const generated = this.options.generatedId;
    const error = new WharfError(
      ErrorCodes.CONFIG,
      `cluster: node id ${this.id} is held by another live process in the cluster ${this.options.prefix} at ${this.shownUrl} (its lease expires in ${pttl} ms unless it refreshes it)`,
      {
        hint: generated
          ? 'the generated node id collided with another node (about 1 in 1.7 million per pair): start this node again, or give each node its own nodeId'
          : 'give every node of the cluster its own nodeId (1 to 4 characters of 0-9 and a-z) in the cluster-redis plugin options, or stop the other process',
        details: { nodeId: this.id, prefix: this.options.prefix, url: this.shownUrl },
      },
    );
    const wasStarting = this.firstClaim !== undefined;
    this.halt('refused');
    this.link.close().catch(() => undefined);
    if (wasStarting) {
      this.firstClaim?.reject(error);
      this.firstClaim = undefined;
    }
    this.options.logger.error({ nodeId: this.id, code: error.code, hint: error.hint }, error.message);
    this.emit('refused', error);
  }

  private updateLive(ids: string[]): void {
    const now = new Set(ids);
    const before = this.live;
    this.live = now;
    for (const id of now) if (!before.has(id) && id !== this.id) this.emit('node-up', id);
    for (const id of before) if (!now.has(id) && id !== this.id) this.emit('node-down', id);
  }
}
