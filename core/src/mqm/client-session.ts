/**
 * One authenticated client, as its protocol adapter holds it. Each method is an MQM reference
 * method with this session as the caller; the session keeps what must end with the client:
 * its subscriptions, its open transactions and its cached rights.
 */
import type { DestinationInfo } from '../spi/admin.js';
import type { MessageInput } from '../spi/message.js';
import type { ClientSession, SessionControl } from '../spi/protocol.js';
import type { Consumer, DestinationStats, Subscription } from '../spi/queue.js';
import type { ConnectionInfo, Principal } from '../spi/security.js';
import type { MessageQueueManager } from './message-queue-manager.js';
import type { RightsCache } from './security-gate.js';
import { Transactions, type TransactionLimits } from './transactions.js';

export class ClientSessionImpl implements ClientSession {
  readonly id: string;
  readonly subscriptions = new Set<Subscription>();
  readonly transactions: Transactions;
  closed = false;
  /** Why flow control paused this session (the memory alarm, blocked destinations), if it did. */
  pausedBy: Set<unknown> | undefined;

  constructor(
    private readonly mqm: MessageQueueManager,
    readonly principal: Principal,
    readonly connection: ConnectionInfo,
    readonly control: SessionControl,
    readonly rights: RightsCache,
    limits: TransactionLimits,
  ) {
    this.id = connection.id;
    this.transactions = new Transactions(limits);
  }

  send(destination: string, message: MessageInput, transaction?: string): void | Promise<void> {
    return this.mqm.send(this, destination, message, transaction);
  }
  subscribe(destination: string, consumer: Consumer): Subscription {
    return this.mqm.subscribe(this, destination, consumer);
  }
  unsubscribe(subscription: Subscription): void {
    this.mqm.unsubscribe(this, subscription);
  }
  ack(subscription: Subscription, tag: number, transaction?: string): void | Promise<void> {
    return this.mqm.ack(this, subscription, tag, transaction);
  }
  nack(subscription: Subscription, tag: number, transaction?: string): void {
    this.mqm.nack(this, subscription, tag, transaction);
  }
  begin(transaction: string): void {
    this.mqm.begin(this, transaction);
  }
  commit(transaction: string): void | Promise<void> {
    return this.mqm.commit(this, transaction);
  }
  abort(transaction: string): void {
    this.mqm.abort(this, transaction);
  }
  create(destination: string): DestinationInfo {
    return this.mqm.create(this, destination);
  }
  destroy(destination: string): boolean {
    return this.mqm.destroy(this, destination);
  }
  list(): DestinationInfo[] {
    return this.mqm.list(this);
  }
  stats(destination: string): DestinationStats {
    return this.mqm.stats(this, destination);
  }
  close(reason?: string): void {
    this.mqm.closeSession(this, reason);
  }
}
