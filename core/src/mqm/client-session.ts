/**
 * One authenticated client, as its protocol adapter holds it: the reference methods (create,
 * subscribe, unsubscribe, send, ack, nack, begin/commit/abort, and the admin ones) bound to this
 * client, each asking for the right it needs before it acts. The session owns what must end with
 * the client (its subscriptions, its open transactions, its cached rights) and its own lifecycle:
 * close() ends all of it and tells the registry. The services it uses never edit its state.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { AdminApi, BrokerEvent, DestinationInfo } from '../spi/admin.js';
import type { MessageInput } from '../spi/message.js';
import type { ClientSession, SessionControl } from '../spi/protocol.js';
import type { Consumer, DestinationStats, Subscription } from '../spi/queue.js';
import type { ConnectionInfo, Principal, Right } from '../spi/security.js';
import { commitTransaction, type CommittingSession } from './commit.js';
import type { DeliveryHorizons } from './delivery-horizons.js';
import { HorizonConsumer } from './delivery-horizons.js';
import type { DestinationTable } from './destinations.js';
import type { IdMinter } from './id-minter.js';
import type { ProducerPausing } from './producer-pausing.js';
import type { RightsCache, SecurityGate } from './security-gate.js';
import { Transactions, type TransactionLimits } from './transactions.js';

/** Right names for the resources of admin operations that act on no single destination. */
export const LIST_RESOURCE = '/command/list';
export const DISCONNECT_RESOURCE = '/command/disconnect';

/** The broker services a session acts through (one bundle per broker, shared by its sessions). */
export interface SessionServices {
  readonly table: DestinationTable;
  readonly security: SecurityGate;
  readonly pausing: ProducerPausing;
  readonly admin: AdminApi;
  readonly minter: IdMinter;
  readonly logger: Logger;
  readonly limits: TransactionLimits;
  readonly emit: (event: BrokerEvent) => void;
  /** The session ended (the registry forgets it). */
  readonly ended: (session: ClientSessionImpl) => void;
  /** Crash flags: deliveries wait for their destination's horizon (delivery-horizons.ts); undefined without a store that keeps them. */
  readonly horizons?: DeliveryHorizons | undefined;
}

export class ClientSessionImpl implements ClientSession, CommittingSession {
  readonly id: string;
  readonly subscriptions = new Set<Subscription>();
  readonly transactions: Transactions;
  readonly rights: RightsCache;
  /**
   * True once close() began (SessionInfo.closed: queues skip this session's consumers from then
   * on). Set by close() only; a plain field, because queues read it for every dispatch.
   */
  closed = false;
  // The services of the hot path (send), one field read each.
  private readonly table: DestinationTable;
  private readonly pausing: ProducerPausing;
  private readonly minter: IdMinter;
  private readonly security: SecurityGate;

  constructor(
    private readonly services: SessionServices,
    readonly principal: Principal,
    readonly connection: ConnectionInfo,
    readonly control: SessionControl,
  ) {
    this.id = connection.id;
    this.table = services.table;
    this.pausing = services.pausing;
    this.minter = services.minter;
    this.security = services.security;
    this.rights = services.security.newCache();
    this.transactions = new Transactions(services.limits);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Ends the session: open transactions are aborted, subscriptions detached (unacked go back). */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    const { services } = this;
    services.pausing.forget(this);
    this.transactions.abortAll();
    for (const subscription of this.subscriptions) this.detach(subscription);
    this.subscriptions.clear();
    services.ended(this);
    services.emit({ type: 'client.disconnected', session: this.id, user: this.principal.name, ...(reason ? { reason } : {}) });
  }

  // ---------------------------------------------------------------- reference methods

  /** Creates a destination by name, as routing says. Needs `create` unless it exists already. */
  create(name: string): DestinationInfo {
    this.assertOpen();
    const { table } = this.services;
    table.checkName(name);
    const existing = table.get(name);
    if (existing) return table.info(existing);
    this.require(name, table.queueTypeFor(name).rights?.create ?? 'create');
    return table.info(table.keep(table.materialize(name)));
  }

  subscribe(name: string, consumer: Consumer): Subscription {
    this.assertOpen();
    const { table } = this.services;
    table.checkName(name);
    let entry = table.get(name);
    const queueType = entry?.queueType ?? table.queueTypeFor(name);
    this.require(name, queueType.rights?.attach ?? 'read');
    if (entry === undefined) {
      this.require(name, queueType.rights?.create ?? 'create');
      entry = table.materialize(name);
    }
    const horizons = this.services.horizons;
    const guarded = horizons === undefined ? consumer : horizons.wrap(consumer, name);
    const subscription = entry.destination.attach(guarded);
    if (guarded instanceof HorizonConsumer) guarded.subscription = subscription;
    this.subscriptions.add(subscription);
    this.services.emit({ type: 'subscribed', session: this.id, destination: name, subscription: consumer.id });
    return subscription;
  }

  unsubscribe(subscription: Subscription): void {
    this.assertOpen();
    this.ownSubscription(subscription);
    this.subscriptions.delete(subscription);
    this.detach(subscription);
  }

  /**
   * Sends a message. Returns once it is accepted, or a promise when acceptance waits (a durable
   * write, a command's work). Inside a transaction it is checked now and published at commit.
   */
  send(name: string, input: MessageInput, transaction?: string): void | Promise<void> {
    this.assertOpen();
    this.checkSend(name);
    if (transaction !== undefined) {
      this.transactions.add(transaction, { kind: 'send', destination: name, message: input });
      return;
    }
    const message = this.minter.createMessage(name, input.headers, input.body, input.persistent === true);
    const pausing = this.pausing;
    if (pausing.engaged) return pausing.publishThrottled(this, name, message);
    const accepted = this.table.publishTo(name, message, this);
    if (pausing.blocking) pausing.afterPublish(this, name);
    return accepted;
  }

  ack(subscription: Subscription, tag: number, transaction?: string): void | Promise<void> {
    this.assertOpen();
    this.checkSettle(subscription);
    if (transaction !== undefined) this.transactions.add(transaction, { kind: 'ack', subscription, tag });
    else return subscription.ack(tag);
  }

  nack(subscription: Subscription, tag: number, transaction?: string): void {
    this.assertOpen();
    this.checkSettle(subscription);
    if (transaction !== undefined) this.transactions.add(transaction, { kind: 'nack', subscription, tag });
    else subscription.nack(tag);
  }

  begin(transaction: string): void {
    this.assertOpen();
    this.transactions.begin(transaction);
  }

  /** Validates every operation of the transaction, then applies them in arrival order (commit.ts). */
  commit(transaction: string): void | Promise<void> {
    this.assertOpen();
    return commitTransaction(this, transaction, this.transactions.take(transaction), this.services);
  }

  abort(transaction: string): void {
    this.assertOpen();
    this.transactions.abort(transaction);
  }

  /** Deletes a destination; its subscribers are cancelled. Needs `admin` on it. */
  destroy(name: string): boolean {
    this.assertOpen();
    this.require(name, 'admin');
    return this.services.admin.deleteDestination(name);
  }

  /** Every destination. Needs `admin` on /command/list. */
  list(): DestinationInfo[] {
    this.assertOpen();
    this.require(LIST_RESOURCE, 'admin');
    return this.services.admin.listDestinations();
  }

  stats(name: string): DestinationStats {
    this.assertOpen();
    this.require(name, 'admin');
    return this.services.admin.destinationStats(name);
  }

  purge(name: string): number {
    this.assertOpen();
    this.require(name, 'admin');
    return this.services.admin.purgeDestination(name);
  }

  addChild(parent: string, child: string): void {
    this.assertOpen();
    this.require(parent, 'admin');
    this.services.admin.addChild(parent, child);
  }

  removeChild(parent: string, child: string): boolean {
    this.assertOpen();
    this.require(parent, 'admin');
    return this.services.admin.removeChild(parent, child);
  }

  /** Closes another client's session. Needs `admin` on /command/disconnect. */
  disconnect(target: string): boolean {
    this.assertOpen();
    this.require(DISCONNECT_RESOURCE, 'admin');
    return this.services.admin.disconnectSession(target, `disconnected by ${this.principal.name}`);
  }

  // ---------------------------------------------------------------- checks (CommittingSession)

  /** `write` (or the type's publish right), plus `create` for a name a send would create. */
  checkSend(name: string): void {
    const table = this.table;
    const entry = table.get(name);
    if (entry === undefined) table.checkName(name);
    const queueType = entry?.queueType ?? table.queueTypeFor(name);
    this.require(name, queueType.rights?.publish ?? 'write');
    if (entry === undefined && !queueType.transient) this.require(name, queueType.rights?.create ?? 'create');
  }

  /** The subscription is this session's, and `read` (or the type's attach right) holds on its destination. */
  checkSettle(subscription: Subscription): void {
    this.ownSubscription(subscription);
    const name = subscription.destination;
    this.require(name, this.table.get(name)?.queueType.rights?.attach ?? 'read');
  }

  // ---------------------------------------------------------------- internals

  private require(name: string, right: Right): void {
    this.security.require(this.principal, name, right, this.rights);
  }

  private detach(subscription: Subscription): void {
    if (subscription.consumer instanceof HorizonConsumer) subscription.consumer.end();
    subscription.detach();
    this.services.emit({ type: 'unsubscribed', session: this.id, destination: subscription.destination, subscription: subscription.consumer.id });
  }

  private ownSubscription(subscription: Subscription): void {
    if (!this.subscriptions.has(subscription)) {
      throw new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, 'no such subscription in this session', {
        hint: 'the subscription ended (unsubscribed, or cancelled by its destination); subscribe again',
      });
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new WharfError(ErrorCodes.CLOSED, 'the session is closed');
  }
}
