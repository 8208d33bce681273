/**
 * The MessageQueueManager: the one door between protocols and destinations. It maps destination
 * names to destinations, creates them as routing says, and offers the reference methods (create,
 * subscribe, unsubscribe, send, ack, nack, begin/commit/abort, destroy, list, ...). Every reference
 * method asks the security plugins for the right it needs before it acts.
 */
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Router } from '../routing/router.js';
import type { BrokerConfig } from '../spi/config.js';
import type { AdminApi, BrokerEvent, DestinationInfo, SessionSummary } from '../spi/admin.js';
import type { Message, MessageInput } from '../spi/message.js';
import type { BrokerApi, ClientSession, SessionControl } from '../spi/protocol.js';
import {
  isParentDestination,
  type Consumer,
  type Destination,
  type DestinationStats,
  type QueueContext,
  type QueueType,
  type SessionInfo,
  type Subscription,
} from '../spi/queue.js';
import type { ConnectionInfo, Credentials, Right } from '../spi/security.js';
import { ClientSessionImpl } from './client-session.js';
import type { Durability } from './durability.js';
import { EventBus } from './events.js';
import type { FlowController, FlowListener } from './flow-control.js';
import type { SecurityGate } from './security-gate.js';

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
  /** Producer flow control; absent: no memory alarm (destinations may still block their producers). */
  readonly flow?: FlowController;
}

interface Entry {
  readonly destination: Destination;
  readonly queueType: QueueType;
  /** The destination said it holds too much (QueueContext.flow.blocked): its producers wait. */
  blocked: boolean;
  /** Sessions paused because they sent to it while it was blocked. */
  waiting: Set<ClientSessionImpl> | undefined;
}

/** Why a session is paused: the broker-wide memory alarm, or a blocked destination. */
const ALARM = 'memory alarm';
type PauseReason = typeof ALARM | Entry;

/** Messages per id epoch: ids end in 10^9 + n, ten digits, a small integer (see idPrefix). */
const ID_EPOCH_SIZE = 1_000_000_000;

/** Right names for the resources of admin operations that act on no single destination. */
const LIST_RESOURCE = '/command/list';
const DISCONNECT_RESOURCE = '/command/disconnect';

export class MessageQueueManager implements BrokerApi, AdminApi, FlowListener {
  readonly version: string;
  readonly events: EventBus;
  private readonly destinations = new Map<string, Entry>();
  private readonly sessions = new Map<string, ClientSessionImpl>();
  private readonly router: Router;
  private readonly queueTypes: ReadonlyMap<string, QueueType>;
  private readonly security: SecurityGate;
  private readonly logger: Logger;
  private readonly limits: BrokerConfig['limits'];
  /**
   * Ids are `<start><epoch>-<counter>`: `<start>` differs per start, so ids never repeat across
   * restarts. They have one width and sort in the order they were made (the counter is written as
   * 10^9 + n, ten digits; every 10^9 messages the three-character epoch goes up), so a store's
   * index on them grows at one end instead of being written all over: a third faster durable
   * appends with SQLite. The counter stays a small integer, which V8 turns into text cheaply.
   */
  private readonly idStart: string;
  private idEpoch = 0;
  private idPrefix: string;
  private idCounter = 0;
  /** Date.now() of this turn of the event loop, or 0 (see now()). */
  private clock = 0;
  private readonly clockExpires = (): void => {
    this.clock = 0;
  };
  private droppedWithoutDestination = 0;
  private closing = false;
  private readonly durability: Durability | undefined;
  /** Recreating destinations from the store: nothing is written back. */
  private restoring = false;
  private readonly flow: FlowController | undefined;
  /** The memory alarm is raised: sessions that send are paused. */
  private alarm = false;
  /** Sessions paused by the memory alarm. */
  private readonly alarmed = new Set<ClientSessionImpl>();
  /** Destinations that said they are blocked. */
  private blockedCount = 0;
  /** The session whose send is being published (for a blocked destination reached through a pubsub). */
  private sender: ClientSessionImpl | undefined;

  constructor(options: MqmOptions) {
    this.router = options.router;
    this.queueTypes = options.queueTypes;
    this.security = options.security;
    this.logger = options.logger;
    this.limits = options.limits;
    this.version = options.version;
    this.durability = options.durability;
    this.flow = options.flow;
    this.flow?.listen(this);
    this.events = new EventBus(options.logger);
    this.idStart = `${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36).padStart(2, '0')}`;
    this.idPrefix = this.epochPrefix();
  }

  // ---------------------------------------------------------------- sessions

  async connect(credentials: Credentials, connection: ConnectionInfo, control: SessionControl): Promise<ClientSession> {
    if (this.closing) throw new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    const principal = await this.security.authenticate(credentials, connection);
    if (this.sessions.has(connection.id)) {
      throw new WharfError(ErrorCodes.PROTOCOL, `connection ${connection.id} already has a session`);
    }
    const session = new ClientSessionImpl(this, principal, connection, control, this.security.newCache(), this.limits);
    this.sessions.set(session.id, session);
    this.emit({
      type: 'client.connected', session: session.id, user: principal.name,
      protocol: connection.protocol, remoteAddress: connection.remoteAddress,
    });
    return session;
  }

  /** Ends a session: open transactions are aborted, subscriptions detached (unacked go back). */
  closeSession(session: ClientSessionImpl, reason?: string): void {
    if (session.closed) return;
    session.closed = true;
    this.forgetPauses(session);
    session.transactions.abortAll();
    for (const subscription of session.subscriptions) this.detach(session, subscription);
    session.subscriptions.clear();
    this.sessions.delete(session.id);
    this.emit({ type: 'client.disconnected', session: session.id, user: session.principal.name, ...(reason ? { reason } : {}) });
  }

  // ---------------------------------------------------------------- reference methods

  /** Creates a destination by name, as routing says. Needs `create` unless it exists already. */
  create(session: ClientSessionImpl, name: string): DestinationInfo {
    this.assertOpen(session);
    this.checkName(name);
    const existing = this.destinations.get(name);
    if (existing) return this.info(existing);
    this.security.require(session.principal, name, this.queueTypeFor(name).rights?.create ?? 'create', session.rights);
    return this.info(this.keep(this.materialize(name)));
  }

  subscribe(session: ClientSessionImpl, name: string, consumer: Consumer): Subscription {
    this.assertOpen(session);
    this.checkName(name);
    let entry = this.destinations.get(name);
    const queueType = entry?.queueType ?? this.queueTypeFor(name);
    this.security.require(session.principal, name, queueType.rights?.attach ?? 'read', session.rights);
    if (entry === undefined) {
      this.security.require(session.principal, name, queueType.rights?.create ?? 'create', session.rights);
      entry = this.materialize(name);
    }
    const subscription = entry.destination.attach(consumer);
    session.subscriptions.add(subscription);
    this.emit({ type: 'subscribed', session: session.id, destination: name, subscription: consumer.id });
    return subscription;
  }

  unsubscribe(session: ClientSessionImpl, subscription: Subscription): void {
    this.assertOpen(session);
    this.ownSubscription(session, subscription);
    session.subscriptions.delete(subscription);
    this.detach(session, subscription);
  }

  /**
   * Sends a message. Returns once it is accepted, or a promise when acceptance waits (a durable
   * write, a command's work). Inside a transaction it is checked now and published at commit.
   */
  send(session: ClientSessionImpl, name: string, input: MessageInput, transaction?: string): void | Promise<void> {
    this.assertOpen(session);
    const entry = this.destinations.get(name);
    if (entry === undefined) this.checkName(name);
    const queueType = entry?.queueType ?? this.queueTypeFor(name);
    this.security.require(session.principal, name, queueType.rights?.publish ?? 'write', session.rights);
    if (entry === undefined && !queueType.transient) {
      this.security.require(session.principal, name, queueType.rights?.create ?? 'create', session.rights);
    }
    if (transaction !== undefined) {
      session.transactions.add(transaction, { kind: 'send', destination: name, message: input });
      return;
    }
    const message = this.createMessage(name, input.headers, input.body, input.persistent === true);
    if (this.alarm || this.blockedCount > 0) return this.publishThrottled(session, name, message);
    const accepted = this.publish(name, message, session);
    if (this.blockedCount > 0) {
      // This very message took its destination over the mark.
      const entry = this.destinations.get(name);
      if (entry?.blocked) this.pause(session, entry);
    }
    return accepted;
  }

  /**
   * Publishes while flow control is engaged: the message is accepted as always; then the sender is
   * paused if the memory alarm is raised or a destination the message reached is blocked.
   */
  private publishThrottled(session: ClientSessionImpl, name: string, message: Message): void | Promise<void> {
    const outer = this.sender; // a send made from inside a delivery (a plugin's consumer) nests
    this.sender = session;
    try {
      return this.publish(name, message, session);
    } finally {
      this.sender = outer;
      if (this.alarm) this.pause(session, ALARM);
    }
  }

  ack(session: ClientSessionImpl, subscription: Subscription, tag: number, transaction?: string): void | Promise<void> {
    return this.acknowledge(session, subscription, tag, transaction, 'ack');
  }

  nack(session: ClientSessionImpl, subscription: Subscription, tag: number, transaction?: string): void {
    this.acknowledge(session, subscription, tag, transaction, 'nack');
  }

  begin(session: ClientSessionImpl, transaction: string): void {
    this.assertOpen(session);
    session.transactions.begin(transaction);
  }

  /** Applies the transaction's operations in the order they arrived. */
  commit(session: ClientSessionImpl, transaction: string): void | Promise<void> {
    this.assertOpen(session);
    const pending: Promise<void>[] = [];
    for (const op of session.transactions.take(transaction)) {
      if (op.kind === 'send') {
        const message = this.createMessage(op.destination, op.message.headers, op.message.body, op.message.persistent === true);
        const accepted = this.alarm || this.blockedCount > 0
          ? this.publishThrottled(session, op.destination, message)
          : this.publish(op.destination, message, session);
        if (accepted) pending.push(accepted);
      } else if (session.subscriptions.has(op.subscription)) {
        // A subscription that ended before the commit already returned its messages.
        if (op.kind === 'ack') {
          const done = op.subscription.ack(op.tag);
          if (done) pending.push(done);
        } else op.subscription.nack(op.tag);
      }
    }
    if (pending.length > 0) return Promise.all(pending).then(() => undefined);
  }

  abort(session: ClientSessionImpl, transaction: string): void {
    this.assertOpen(session);
    session.transactions.abort(transaction);
  }

  /** Deletes a destination; its subscribers are cancelled. Needs `admin` on it. */
  destroy(session: ClientSessionImpl, name: string): boolean {
    this.assertOpen(session);
    this.security.require(session.principal, name, 'admin', session.rights);
    return this.deleteDestination(name);
  }

  /** Every destination. Needs `admin` on /command/list. */
  list(session: ClientSessionImpl): DestinationInfo[] {
    this.assertOpen(session);
    this.security.require(session.principal, LIST_RESOURCE, 'admin', session.rights);
    return this.listDestinations();
  }

  stats(session: ClientSessionImpl, name: string): DestinationStats {
    this.assertOpen(session);
    this.security.require(session.principal, name, 'admin', session.rights);
    return this.destinationStats(name);
  }

  purge(session: ClientSessionImpl, name: string): number {
    this.assertOpen(session);
    this.security.require(session.principal, name, 'admin', session.rights);
    return this.purgeDestination(name);
  }

  addChildAs(session: ClientSessionImpl, parent: string, child: string): void {
    this.assertOpen(session);
    this.security.require(session.principal, parent, 'admin', session.rights);
    this.addChild(parent, child);
  }

  removeChildAs(session: ClientSessionImpl, parent: string, child: string): boolean {
    this.assertOpen(session);
    this.security.require(session.principal, parent, 'admin', session.rights);
    return this.removeChild(parent, child);
  }

  disconnect(session: ClientSessionImpl, target: string): boolean {
    this.assertOpen(session);
    this.security.require(session.principal, DISCONNECT_RESOURCE, 'admin', session.rights);
    return this.disconnectSession(target, `disconnected by ${session.principal.name}`);
  }

  // ---------------------------------------------------------------- admin API (no security here)

  createDestination(name: string, type?: string): DestinationInfo {
    this.checkName(name);
    const existing = this.destinations.get(name);
    if (existing) {
      if (type !== undefined && existing.queueType.type !== type) {
        throw new WharfError(ErrorCodes.BAD_DESTINATION, `${name} exists already as a ${existing.queueType.type}, not a ${type}`, {
          hint: 'delete it first, or use another name',
        });
      }
      return this.info(existing);
    }
    return this.info(this.keep(this.materialize(name, type)));
  }

  deleteDestination(name: string): boolean {
    const entry = this.destinations.get(name);
    if (entry === undefined) return false;
    this.remove(name, entry, new WharfError(ErrorCodes.NOT_FOUND, `destination ${name} was deleted`));
    return true;
  }

  purgeDestination(name: string): number {
    return this.existing(name).destination.purge();
  }

  addChild(parent: string, child: string): void {
    this.checkName(child);
    if (parent === child || this.reaches(child, parent)) {
      throw new WharfError(ErrorCodes.CYCLE, `adding ${child} to ${parent} would make a cycle`, {
        hint: `${child} already leads back to ${parent}; a pubsub may not receive its own copies`,
        details: { parent, child },
      });
    }
    const entry = this.destinations.get(parent) ?? this.materialize(parent);
    const destination = entry.destination;
    if (!isParentDestination(destination)) {
      throw new WharfError(ErrorCodes.BAD_DESTINATION, `${parent} is a ${entry.queueType.type}, which has no children`, {
        hint: 'children can be added to pubsub destinations only',
      });
    }
    if (destination.children().includes(child)) return;
    // A child that holds messages exists from now on, so it keeps every later copy; a transient
    // child (a topic) comes into being with its first subscriber.
    if (!this.destinations.has(child) && !this.queueTypeFor(child).transient) this.materialize(child);
    destination.addChild(child);
    this.keep(entry);
    this.emit({ type: 'child.added', pubsub: parent, child });
  }

  removeChild(parent: string, child: string): boolean {
    const entry = this.existing(parent);
    const destination = entry.destination;
    if (!isParentDestination(destination)) return false;
    const removed = destination.removeChild(child);
    if (removed) {
      this.keep(entry);
      this.emit({ type: 'child.removed', pubsub: parent, child });
    }
    return removed;
  }

  listDestinations(): DestinationInfo[] {
    return [...this.destinations.values()].map((entry) => this.info(entry));
  }

  destinationStats(name: string): DestinationStats & { readonly name: string; readonly type: string } {
    const entry = this.existing(name);
    return { name, type: entry.queueType.type, ...entry.destination.stats() };
  }

  listSessions(): SessionSummary[] {
    return [...this.sessions.values()].map((s) => ({
      id: s.id, user: s.principal.name, protocol: s.connection.protocol, remoteAddress: s.connection.remoteAddress,
    }));
  }

  disconnectSession(id: string, reason = 'disconnected by an administrator'): boolean {
    const session = this.sessions.get(id);
    if (session === undefined) return false;
    session.control.close(new WharfError(ErrorCodes.CLOSED, reason));
    this.closeSession(session, reason);
    return true;
  }

  publish(name: string, headers: Record<string, string>, body: Uint8Array): void | Promise<void>;
  publish(name: string, message: Message, origin?: SessionInfo): void | Promise<void>;
  publish(name: string, a: Message | Record<string, string>, b?: Uint8Array | SessionInfo): void | Promise<void> {
    if (b instanceof Uint8Array) return this.deliverTo(name, this.createMessage(name, a as Record<string, string>, b, false));
    return this.deliverTo(name, a as Message, b as SessionInfo | undefined);
  }

  /** Messages sent to transient destinations nobody listened to. */
  get droppedCount(): number {
    return this.droppedWithoutDestination;
  }

  get sessionCount(): number {
    return this.sessions.size;
  }

  lookup(name: string): Destination | undefined {
    return this.destinations.get(name)?.destination;
  }

  createMessage(destination: string, headers: Record<string, string>, body: Uint8Array, persistent: boolean): Message {
    if (++this.idCounter === ID_EPOCH_SIZE) {
      this.idCounter = 0;
      this.idEpoch++;
      this.idPrefix = this.epochPrefix();
    }
    return { id: this.idPrefix + (ID_EPOCH_SIZE + this.idCounter), destination, headers, body, persistent, timestamp: this.now() };
  }

  private epochPrefix(): string {
    return `${this.idStart}${this.idEpoch.toString(36).padStart(3, '0')}-`;
  }

  /**
   * The clock for message timestamps, read once per turn of the event loop: the messages of one
   * socket read (often hundreds) share a reading, instead of costing a Date.now() each.
   */
  private now(): number {
    if (this.clock === 0) {
      this.clock = Date.now();
      queueMicrotask(this.clockExpires);
    }
    return this.clock;
  }

  /** Stops accepting clients, closes every session and destination. */
  async close(): Promise<void> {
    this.closing = true;
    for (const session of [...this.sessions.values()]) {
      session.control.close(new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down'));
      this.closeSession(session, 'broker shutdown');
    }
    const closing: Promise<void>[] = [];
    const reason = new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    for (const [name, entry] of this.destinations) {
      this.destinations.delete(name);
      const done = entry.destination.close(reason);
      if (done) closing.push(done);
    }
    await Promise.all(closing);
  }

  /**
   * Recreates what the durable store kept: every destination record (with the type it had; routing
   * settings apply when routing still gives that type), then pubsub children, then each
   * destination's messages, oldest first. Runs at start, before any listener opens.
   */
  async restore(): Promise<{ destinations: number; messages: number }> {
    const durability = this.durability;
    if (durability === undefined) return { destinations: 0, messages: 0 };
    const stored = await durability.destinations();
    let messages = 0;
    this.restoring = true;
    try {
      for (const record of stored) {
        if (this.destinations.has(record.name)) continue;
        if (!this.queueTypes.has(record.type)) {
          throw new WharfError(ErrorCodes.STORE, `the store holds destination ${record.name} of queue type ${record.type}, which no loaded plugin provides`, {
            hint: `load the plugin that provides ${record.type} (known queue types: ${[...this.queueTypes.keys()].join(', ')}), or delete the store's file to start empty`,
            details: { destination: record.name, type: record.type },
          });
        }
        const routed = this.router.route(record.name).type;
        this.materialize(record.name, routed === record.type ? undefined : record.type);
      }
      for (const record of stored) {
        for (const child of record.children ?? []) this.addChild(record.name, child);
      }
      for (const record of stored) {
        const destination = this.destinations.get(record.name)?.destination;
        if (destination === undefined) continue;
        if (destination.restore === undefined) {
          for await (const _ of durability.replay(record.name)) {
            this.logger.warn({ destination: record.name, type: record.type }, 'the store holds messages for a destination whose type keeps none: they are left in the store');
            break;
          }
          continue;
        }
        for await (const message of durability.replay(record.name)) {
          destination.restore(message);
          messages++;
        }
      }
    } finally {
      this.restoring = false;
    }
    return { destinations: stored.length, messages };
  }

  /** Runs `setUp` without recording what it creates in the store (destinations the config makes at each start). */
  unrecorded<T>(setUp: () => T): T {
    const was = this.restoring;
    this.restoring = true;
    try {
      return setUp();
    } finally {
      this.restoring = was;
    }
  }

  // ---------------------------------------------------------------- internals

  private deliverTo(name: string, message: Message, origin?: SessionInfo): void | Promise<void> {
    let entry = this.destinations.get(name);
    if (entry === undefined) {
      if (this.queueTypeFor(name).transient) {
        // STOMP-style topics: nobody attached, nobody to tell. Count it and keep nothing.
        this.droppedWithoutDestination++;
        return;
      }
      entry = this.materialize(name);
    }
    const accepted = entry.destination.publish(message, origin);
    if (entry.blocked && this.sender !== undefined) this.pause(this.sender, entry);
    return accepted;
  }

  // ---------------------------------------------------------------- flow control

  /** The memory alarm changed (FlowController). Raised: senders are paused as they send. */
  alarmChanged(raised: boolean): void {
    this.alarm = raised;
    if (raised) return;
    const paused = [...this.alarmed];
    this.alarmed.clear();
    for (const session of paused) this.unpause(session, ALARM);
  }

  /** Sessions paused by flow control, and by what (for stats and tests). */
  get pausedSessions(): number {
    let count = 0;
    for (const session of this.sessions.values()) if (session.pausedBy !== undefined && session.pausedBy.size > 0) count++;
    return count;
  }

  private setBlocked(name: string, blocked: boolean): void {
    const entry = this.destinations.get(name);
    if (entry === undefined || entry.blocked === blocked) return;
    entry.blocked = blocked;
    this.blockedCount += blocked ? 1 : -1;
    this.logger.debug({ destination: name, blocked }, blocked ? 'destination over its high-watermark: its producers are paused' : 'destination below its low-watermark: its producers resume');
    if (!blocked) this.releaseWaiting(entry);
  }

  private releaseWaiting(entry: Entry): void {
    const waiting = entry.waiting;
    if (waiting === undefined) return;
    entry.waiting = undefined;
    for (const session of waiting) this.unpause(session, entry);
  }

  private pause(session: ClientSessionImpl, reason: PauseReason): void {
    if (session.closed) return;
    const reasons = session.pausedBy ??= new Set();
    if (reasons.has(reason)) return;
    reasons.add(reason);
    if (reason === ALARM) this.alarmed.add(session);
    else (reason.waiting ??= new Set()).add(session);
    if (reasons.size === 1) session.control.pauseReading?.();
  }

  private unpause(session: ClientSessionImpl, reason: PauseReason): void {
    const reasons = session.pausedBy;
    if (reasons === undefined || !reasons.delete(reason)) return;
    if (reasons.size === 0 && !session.closed) session.control.resumeReading?.();
  }

  /** A closing session leaves every waiting list. */
  private forgetPauses(session: ClientSessionImpl): void {
    const reasons = session.pausedBy as Set<PauseReason> | undefined;
    if (reasons === undefined) return;
    for (const reason of reasons) {
      if (reason === ALARM) this.alarmed.delete(session);
      else reason.waiting?.delete(session);
    }
    reasons.clear();
  }

  private acknowledge(
    session: ClientSessionImpl, subscription: Subscription, tag: number, transaction: string | undefined, kind: 'ack' | 'nack',
  ): void | Promise<void> {
    this.assertOpen(session);
    this.ownSubscription(session, subscription);
    const name = subscription.destination;
    const queueType = this.destinations.get(name)?.queueType;
    this.security.require(session.principal, name, queueType?.rights?.attach ?? 'read', session.rights);
    if (transaction !== undefined) session.transactions.add(transaction, { kind, subscription, tag });
    else if (kind === 'ack') return subscription.ack(tag);
    else subscription.nack(tag);
  }

  private detach(session: ClientSessionImpl, subscription: Subscription): void {
    subscription.detach();
    this.emit({ type: 'unsubscribed', session: session.id, destination: subscription.destination, subscription: subscription.consumer.id });
  }

  private materialize(name: string, explicitType?: string): Entry {
    const decision = explicitType === undefined ? this.router.typeOf(name) : undefined;
    const typeName = explicitType ?? decision!.type;
    const queueType = this.queueTypes.get(typeName);
    if (queueType === undefined) {
      throw new WharfError(ErrorCodes.NO_ROUTE, `unknown queue type ${typeName} for ${name}`, {
        hint: `known queue types: ${[...this.queueTypes.keys()].join(', ')}`,
      });
    }
    const destination = queueType.create(name, { ...(decision?.settings ?? {}) }, this.contextFor(name, queueType.type));
    const entry: Entry = { destination, queueType, blocked: false, waiting: undefined };
    this.destinations.set(name, entry);
    this.emit({ type: 'destination.created', destination: name, queueType: queueType.type });
    return entry;
  }

  private contextFor(name: string, type: string): QueueContext {
    let released = false;
    const durable = this.durability?.logFor(name, type);
    return {
      ...(durable ? { durable } : {}),
      name,
      logger: this.logger.child({ destination: name }),
      admin: this,
      forward: (target, message) => this.deliverTo(target, message),
      lookup: (target) => this.lookup(target),
      release: () => {
        if (released) return;
        const entry = this.destinations.get(name);
        if (entry === undefined) return;
        released = true;
        this.remove(name, entry, new WharfError(ErrorCodes.NOT_FOUND, `destination ${name} was released`));
      },
      countDropped: (count = 1) => {
        this.droppedWithoutDestination += count;
      },
      onEvent: (listener) => this.events.on(listener),
      createMessage: (destination, headers, body) => this.createMessage(destination, headers, body, false),
      flow: {
        held: this.flow?.heldChanged ?? noop,
        blocked: (blocked) => this.setBlocked(name, blocked),
      },
    };
  }

  private remove(name: string, entry: Entry, reason: WharfError): void {
    this.destinations.delete(name);
    if (entry.blocked) {
      entry.blocked = false;
      this.blockedCount--;
    }
    this.releaseWaiting(entry);
    this.durability?.deleteDestination(name);
    // Pubsubs that named this destination keep the name: a later copy recreates it per routing.
    const closed = entry.destination.close(reason);
    if (closed) closed.catch((err: unknown) => this.logger.error({ err, destination: name }, 'closing a destination failed'));
    this.emit({ type: 'destination.deleted', destination: name, queueType: entry.queueType.type });
  }

  /**
   * Keeps the record of a destination that must come back after a restart (created explicitly, or
   * a pubsub whose children changed). Transient types (topics) are never kept.
   */
  private keep(entry: Entry): Entry {
    if (this.durability === undefined || this.restoring || entry.queueType.transient) return entry;
    const destination = entry.destination;
    this.durability.saveDestination({
      name: destination.name,
      type: entry.queueType.type,
      ...(isParentDestination(destination) ? { children: [...destination.children()] } : {}),
    });
    return entry;
  }

  private queueTypeFor(name: string): QueueType {
    const { type } = this.router.typeOf(name);
    const queueType = this.queueTypes.get(type);
    if (queueType === undefined) {
      throw new WharfError(ErrorCodes.NO_ROUTE, `routing sends ${name} to unknown queue type ${type}`, {
        hint: `load a plugin that provides it; known queue types: ${[...this.queueTypes.keys()].join(', ')}`,
      });
    }
    return queueType;
  }

  /** Whether `from` (or anything below it) has `to` among its children. */
  private reaches(from: string, to: string, seen = new Set<string>()): boolean {
    if (seen.has(from)) return false;
    seen.add(from);
    const destination = this.destinations.get(from)?.destination;
    if (destination === undefined || !isParentDestination(destination)) return false;
    for (const child of destination.children()) if (child === to || this.reaches(child, to, seen)) return true;
    return false;
  }

  private existing(name: string): Entry {
    const entry = this.destinations.get(name);
    if (entry === undefined) {
      throw new WharfError(ErrorCodes.NOT_FOUND, `no destination named ${name}`, { hint: 'list destinations with /command/list' });
    }
    return entry;
  }

  private info(entry: Entry): DestinationInfo {
    const stats = entry.destination.stats();
    const destination = entry.destination;
    return {
      name: destination.name, type: entry.queueType.type, subscribers: stats.subscribers, depth: stats.depth,
      ...(isParentDestination(destination) ? { children: [...destination.children()] } : {}),
    };
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name.length === 0 || name.length > this.limits.maxDestinationLength) {
      throw new WharfError(ErrorCodes.BAD_DESTINATION, `destination names must have 1 to ${this.limits.maxDestinationLength} characters`, {
        hint: 'use a shorter name, or raise limits.maxDestinationLength',
        details: { limit: 'maxDestinationLength' },
      });
    }
  }

  private ownSubscription(session: ClientSessionImpl, subscription: Subscription): void {
    if (!session.subscriptions.has(subscription)) {
      throw new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, 'no such subscription in this session');
    }
  }

  private assertOpen(session: ClientSessionImpl): void {
    if (session.closed) throw new WharfError(ErrorCodes.CLOSED, 'the session is closed');
  }

  private emit(event: BrokerEvent): void {
    if (this.events.hasListeners) this.events.emit(event);
  }
}

function noop(): void {}

export type { Right };
