/**
 * The MessageQueueManager: the one door between protocols and destinations. It is a facade that
 * builds and wires the broker's small services, each with one concern:
 *
 * - DestinationTable (destinations.ts): destinations by name, made as routing says; publishTo;
 * - createQueueContext (queue-context.ts): what a destination gets, capabilities included;
 * - PubsubGraph (pubsub-graph.ts): pubsub children, cycles refused;
 * - SessionRegistry (session-registry.ts) and ClientSessionImpl (client-session.ts): sessions and
 *   the reference methods, each checking its right first; commit.ts: atomic COMMIT;
 * - UncheckedAdmin (admin-api.ts): the admin API, no security;
 * - ProducerPausing (producer-pausing.ts): flow control's pausing of senders;
 * - IdMinter (id-minter.ts): message ids and timestamps;
 * - restoreFromStore (restore.ts): what the durable store kept, at start.
 *
 * Protocol adapters see it as BrokerApi; in-process code (tests, the CLI, embedding applications)
 * as AdminApi plus a few counters.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Router } from '../routing/router.js';
import type { BrokerConfig } from '../spi/config.js';
import type { AdminApi, DestinationInfo, SessionSummary } from '../spi/admin.js';
import type { Message } from '../spi/message.js';
import type { BrokerApi, ClientSession, InputBudget, SessionControl } from '../spi/protocol.js';
import type { Destination, DestinationStats, QueueType } from '../spi/queue.js';
import type { ConnectionInfo, Credentials } from '../spi/security.js';
import { UncheckedAdmin } from './admin-api.js';
import type { ClientSessionImpl } from './client-session.js';
import { DestinationTable } from './destinations.js';
import { DeliveryHorizons } from './delivery-horizons.js';
import type { Durability } from './durability.js';
import { EventBus } from './events.js';
import type { FlowController, FlowListener } from './flow-control.js';
import { IdMinter } from './id-minter.js';
import type { PageDirectory } from './pager.js';
import { ProducerPausing } from './producer-pausing.js';
import { PubsubGraph } from './pubsub-graph.js';
import { createQueueContext } from './queue-context.js';
import { restoreFromStore, type RestoreResult } from './restore.js';
import type { SecurityGate } from './security-gate.js';
import { SessionRegistry, type ConnectionStateListener } from './session-registry.js';

export interface MqmOptions {
  readonly router: Router;
  readonly queueTypes: ReadonlyMap<string, QueueType>;
  readonly security: SecurityGate;
  readonly logger: Logger;
  readonly limits: BrokerConfig['limits'];
  /** The broker version, for protocol server headers. */
  readonly version: string;
  /** The durable store's writer; absent when the broker runs without a store. */
  readonly durability?: Durability;
  /** Paging to disk (given with a store: QueueContext.pager). */
  readonly pages?: PageDirectory;
  /** Producer flow control; absent: no memory alarm (destinations may still block their producers). */
  readonly flow?: FlowController;
  /** Mints message ids (its node id is in every id); default: a fresh one with a random node id. */
  readonly minter?: IdMinter;
  /** Told when a connection authenticated (the broker's connection governor). */
  readonly connections?: ConnectionStateListener;
  /** The broker-wide budget for unfinished input frames, handed to adapters as BrokerApi.inputBudget. */
  readonly inputBudget?: InputBudget;
}

export class MessageQueueManager implements BrokerApi, AdminApi, FlowListener {
  readonly version: string;
  readonly inputBudget: InputBudget | undefined;
  readonly events: EventBus;
  readonly minter: IdMinter;
  private readonly table: DestinationTable;
  private readonly graph: PubsubGraph;
  private readonly sessions: SessionRegistry;
  private readonly admin: UncheckedAdmin;
  private readonly pausing: ProducerPausing;
  private readonly router: Router;
  private readonly logger: Logger;
  private readonly durability: Durability | undefined;
  /** Crash flags (delivery-horizons.ts), when the store keeps horizons. */
  private readonly horizons: DeliveryHorizons | undefined;

  constructor(options: MqmOptions) {
    const { logger } = options;
    this.version = options.version;
    this.inputBudget = options.inputBudget;
    this.router = options.router;
    this.logger = logger;
    this.durability = options.durability;
    const events = this.events = new EventBus(logger);
    const emit = events.emitter;
    this.minter = options.minter ?? new IdMinter();
    const durability = options.durability;
    if (durability?.recoverable) {
      const minter = this.minter;
      this.horizons = new DeliveryHorizons({
        writeHorizon: (destination, horizon) => durability.writeHorizon(destination, horizon),
        run: minter.run,
        ahead: (id, n) => minter.ahead(id, n),
      });
      durability.horizonHooks = this.horizons;
    }
    this.table = new DestinationTable({
      router: options.router, queueTypes: options.queueTypes, logger, emit,
      maxNameLength: options.limits.maxDestinationLength, durability: options.durability,
    });
    this.graph = new PubsubGraph(this.table, emit);
    this.sessions = new SessionRegistry(options.connections);
    this.admin = new UncheckedAdmin(this.table, this.graph, this.sessions, this.minter);
    this.pausing = new ProducerPausing(this.table, logger);
    options.flow?.listen(this.pausing);
    options.flow?.countHeld(() => this.table.heldBytes());
    this.table.contextFor = (name, queueType, holding) => createQueueContext({
      table: this.table, logger, minter: this.minter, events, admin: this.admin, durability: options.durability,
      pages: options.pages, setBlocked: (target, blocked) => this.pausing.setBlocked(target, blocked),
    }, name, queueType, holding);
    this.sessions.wire({
      table: this.table, security: options.security, pausing: this.pausing, admin: this.admin,
      minter: this.minter, logger, limits: options.limits, emit, horizons: this.horizons,
    });
  }

  // ---------------------------------------------------------------- BrokerApi

  connect(credentials: Credentials, connection: ConnectionInfo, control: SessionControl): Promise<ClientSession> {
    return this.sessions.connect(credentials, connection, control);
  }

  // ---------------------------------------------------------------- AdminApi (no security here)

  createDestination(name: string, type?: string): DestinationInfo {
    return this.admin.createDestination(name, type);
  }

  deleteDestination(name: string): boolean {
    return this.admin.deleteDestination(name);
  }

  purgeDestination(name: string): number {
    return this.admin.purgeDestination(name);
  }

  addChild(parent: string, child: string): void {
    this.admin.addChild(parent, child);
  }

  removeChild(parent: string, child: string): boolean {
    return this.admin.removeChild(parent, child);
  }

  listDestinations(): DestinationInfo[] {
    return this.admin.listDestinations();
  }

  destinationStats(name: string): DestinationStats & { readonly name: string; readonly type: string } {
    return this.admin.destinationStats(name);
  }

  listSessions(): SessionSummary[] {
    return this.admin.listSessions();
  }

  disconnectSession(id: string, reason?: string): boolean {
    return this.admin.disconnectSession(id, reason);
  }

  publish(destination: string, headers: Record<string, string>, body: Uint8Array): void | Promise<void> {
    return this.admin.publish(destination, headers, body);
  }

  // ---------------------------------------------------------------- in-process helpers

  /** An existing destination, or undefined. */
  lookup(name: string): Destination | undefined {
    return this.table.lookup(name);
  }

  /** Publishes a message made elsewhere (with createMessage) into `name`, as a client's send would, without rights. */
  publishMessage(name: string, message: Message): void | Promise<void> {
    return this.table.publishTo(name, message);
  }

  createMessage(destination: string, headers: Record<string, string>, body: Uint8Array, persistent: boolean): Message {
    return this.minter.createMessage(destination, headers, body, persistent);
  }

  /** The reference method: `session` closes the session `target`, with `admin` on /command/disconnect. */
  disconnect(session: ClientSession, target: string): boolean {
    return (session as ClientSessionImpl).disconnect(target);
  }

  /** Messages sent to transient destinations nobody listened to (and what types counted as dropped). */
  get droppedCount(): number {
    return this.table.dropped;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Sessions paused by flow control now. */
  get pausedSessions(): number {
    return this.pausing.pausedCount;
  }

  /** The destinations the memory alarm throttles now: their senders are paused (producer-pausing.ts `holders`). */
  get hotDestinations(): string[] {
    return this.pausing.hotDestinations;
  }

  /** The memory alarm changed (FlowController; tests raise it by hand). */
  alarmChanged(raised: boolean): void {
    this.pausing.alarmChanged(raised);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Recreates what the durable store kept (restore.ts). Runs at start, before any listener opens. */
  async restore(): Promise<RestoreResult> {
    if (this.durability === undefined) return { destinations: 0, messages: 0, flagged: 0 };
    return restoreFromStore(this.durability, this.table, this.graph, this.router, this.logger, this.horizons, this.minter.run);
  }

  /** Runs `setUp` without recording what it creates in the store (destinations the config makes at each start). */
  unrecorded<T>(setUp: () => T): T {
    return this.table.unrecorded(setUp);
  }

  /** Stops accepting clients, closes every session and destination. */
  async close(): Promise<void> {
    this.sessions.closeAll();
    await this.table.closeAll(new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down'));
  }
}
