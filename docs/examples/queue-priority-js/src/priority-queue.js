// @ts-check
/**
 * A priority queue: holds messages until a subscriber can take them, then hands each to exactly
 * one subscriber, round-robin, the highest priority first and FIFO within a priority. What a
 * subscriber refuses (NACK) or leaves unacknowledged (unsubscribe, disconnect) comes back to the
 * head of its priority and is redelivered, marked `redelivered`.
 *
 * The contract it implements is Destination (core/src/spi/queue.ts); docs/writing-a-queue-type.md
 * walks through it. @wharf/queue-queue (plugins/queue-queue) is the same design tuned for speed.
 */
import { ErrorCodes, WharfError, messageSize } from '@wharf/core';
import { CommitLine } from './commit-line.js';
import { PriorityLanes } from './lanes.js';
import { priorityOf } from './settings.js';
import { PrioritySubscription } from './subscription.js';

/**
 * @import { Consumer, Destination, DestinationStats, DurableLog, Message, QueueContext, StoredMessage, Subscription } from '@wharf/core'
 * @import { Outcome } from './commit-line.js'
 * @import { HeldMessage } from './lanes.js'
 * @import { PrioritySettings } from './settings.js'
 * @import { SubscriptionOwner } from './subscription.js'
 */

/**
 * @implements {Destination}
 * @implements {SubscriptionOwner}
 */
export class PriorityQueue {
  type = 'priority';
  #lanes = new PriorityLanes();
  /** Accepted, not yet in the lanes: waiting for a store commit, or behind one that is. */
  #line = new CommitLine((held, outcome) => this.#leftLine(held, outcome), () => this.#dispatch());
  /**
   * Attached subscriptions, in attach order; `#cursor` is the one to try first (round-robin).
   * @type {PrioritySubscription[]}
   */
  #subscriptions = [];
  #cursor = 0;
  /** @type {DurableLog | undefined} */
  #log;
  /** Bytes of the messages in the lanes and the line, as reported to flow control. */
  #heldBytes = 0;
  #dispatching = false;
  #closed = false;
  #enqueued = 0;
  #delivered = 0;
  #dropped = 0;
  #settings;
  #ctx;

  /**
   * @param {string} name
   * @param {PrioritySettings} settings
   * @param {QueueContext} ctx
   */
  constructor(name, settings, ctx) {
    this.name = name;
    this.#settings = settings;
    this.#ctx = ctx;
    // Undefined when the broker runs without a store: persistent messages then live in memory.
    this.#log = ctx.durable;
  }

  // #region publish
  /**
   * Accepts a message, or throws a WharfError to refuse it. Returns a promise when acceptance waits
   * for the store: the sender's receipt goes out when it resolves, and if it rejects the message
   * was not accepted, so it must never be delivered.
   * @param {Message} message
   * @returns {void | Promise<void>}
   */
  publish(message) {
    if (this.#closed) throw this.#closedError('send');
    /** @type {HeldMessage} */
    const held = {
      message,
      priority: priorityOf(message, this.#settings.defaultPriority),
      deliveryCount: 0,
      size: messageSize(message),
      durable: this.#log !== undefined && (message.persistent || this.#settings.durable),
    };
    if (!this.#makeRoom(held)) return; // drop-lowest: the new message was the least important
    this.#hold(held);
    if (!held.durable || this.#log === undefined) {
      this.#enqueued++;
      // Behind a message still being stored it waits its turn, or it could overtake an older one.
      if (this.#line.length > 0) this.#line.follow(held);
      else {
        this.#lanes.push(held);
        this.#dispatch();
      }
      return;
    }
    // Durable: written to the store first; it joins the lanes once its batch has committed.
    const commit = this.#log.append(message);
    this.#line.wait(held, commit);
    return commit;
  }
  // #endregion publish

  // #region prepare
  /**
   * Transactions (STOMP 1.2 §COMMIT: all or nothing): throws what publish() would throw were
   * `messages` published in this order now, and changes nothing. Core calls it at COMMIT with what
   * the transaction sends here, before it applies any operation, so a transaction that would
   * overflow the queue is refused whole. (A store failure cannot be foreseen: the appends of one
   * COMMIT share one store transaction.)
   * @param {readonly Message[]} messages
   */
  prepare(messages) {
    if (this.#closed) throw this.#closedError('send');
    const { maxLength, overflow } = this.#settings;
    let count = this.#lanes.length + this.#line.length;
    for (const message of messages) {
      priorityOf(message, this.#settings.defaultPriority); // throws for a bad priority header
      if (maxLength !== undefined && overflow === 'reject' && count >= maxLength) throw this.#overflowError(count, maxLength);
      count++; // drop-lowest makes room instead: it refuses nothing
    }
  }
  // #endregion prepare

  // #region restore
  /**
   * A message the store kept across a restart. Core calls this at start, before any listener
   * opens, oldest append first; `deliveryCount` says how often it was handed out unacknowledged,
   * so a message delivered before the restart comes back marked redelivered.
   * @param {StoredMessage} stored
   */
  restore(stored) {
    if (this.#closed) return;
    /** @type {HeldMessage} */
    const held = {
      message: stored.message,
      priority: priorityOf(stored.message, this.#settings.defaultPriority),
      deliveryCount: stored.deliveryCount,
      size: messageSize(stored.message),
      durable: true,
    };
    this.#hold(held);
    this.#lanes.push(held);
  }
  // #endregion restore

  /**
   * @param {Consumer} consumer
   * @returns {Subscription}
   */
  attach(consumer) {
    if (this.#closed) throw this.#closedError('subscribe');
    const subscription = new PrioritySubscription(this, consumer);
    this.#subscriptions.push(subscription);
    this.#dispatch(); // the first subscriber gets what is held (as much as its prefetch allows)
    return subscription;
  }

  /**
   * Removes every held message (not those delivered and unacknowledged); returns how many.
   * @returns {number}
   */
  purge() {
    const removed = this.#lanes.clear();
    for (const held of removed) {
      this.#unhold(held);
      this.#forget(held);
    }
    return removed.length;
  }

  /** @returns {DestinationStats} */
  stats() {
    let unacked = 0;
    for (const s of this.#subscriptions) unacked += s.unackedCount;
    return {
      subscribers: this.#subscriptions.length,
      depth: this.#lanes.length + this.#line.length,
      unacked,
      enqueued: this.#enqueued,
      delivered: this.#delivered,
      dropped: this.#dropped,
    };
  }

  /**
   * Deleted, or the broker stops: cancel every consumer with `reason`. The store is core's business
   * here: it forgets a deleted destination's messages, and keeps them when the broker stops.
   * @param {WharfError} reason
   */
  close(reason) {
    if (this.#closed) return;
    this.#closed = true;
    const subscriptions = this.#subscriptions;
    this.#subscriptions = [];
    this.#lanes.clear();
    this.#line.clear();
    this.#ctx.flow?.held(-this.#heldBytes);
    this.#heldBytes = 0;
    for (const s of subscriptions) s.end();
    for (const s of subscriptions) s.consumer.cancel(reason);
  }

  // ---------------------------------------------------------------- called by subscriptions

  ready() {
    this.#dispatch();
  }

  // #region owner
  /**
   * @param {PrioritySubscription} _subscription
   * @param {readonly HeldMessage[]} messages
   * @returns {void | Promise<void>}
   */
  acknowledged(_subscription, messages) {
    // The ACK's receipt waits until the store has forgotten the durable ones.
    /** @type {Promise<void>[]} */
    const removals = [];
    for (const held of messages) if (held.durable && this.#log !== undefined) removals.push(this.#log.remove(held.message.id));
    this.#dispatch(); // the subscription's prefetch window has room again
    if (removals.length === 0) return undefined;
    return removals.length === 1 ? removals[0] : Promise.all(removals).then(() => undefined);
  }

  /**
   * @param {PrioritySubscription} subscription
   * @param {readonly HeldMessage[]} messages
   */
  requeue(subscription, messages) {
    this.#returnToHead(messages);
    // Offer the refused message to another subscriber first, if the refuser is next in turn.
    if (this.#subscriptions.length > 1 && this.#subscriptions[this.#cursor] === subscription) this.#advanceCursor();
    this.#dispatch();
  }

  /**
   * @param {PrioritySubscription} subscription
   * @param {readonly HeldMessage[]} returned
   */
  detached(subscription, returned) {
    const index = this.#subscriptions.indexOf(subscription);
    if (index >= 0) {
      this.#subscriptions.splice(index, 1);
      if (index < this.#cursor) this.#cursor--;
      if (this.#cursor >= this.#subscriptions.length) this.#cursor = 0;
    }
    this.#returnToHead(returned);
    this.#dispatch();
  }
  // #endregion owner

  // ---------------------------------------------------------------- internals

  // #region dispatch
  /**
   * Hands held messages to ready subscriptions, round-robin, until either runs out. A consumer may
   * ack, nack, resume or detach from inside deliver(): those calls come back here while the loop
   * runs and return at once (`#dispatching`); the loop re-reads the state after every delivery.
   */
  #dispatch() {
    if (this.#dispatching || this.#closed) return;
    this.#dispatching = true;
    try {
      while (this.#lanes.length > 0) {
        const subscription = this.#nextReady();
        if (subscription === undefined) break;
        const held = /** @type {HeldMessage} */ (this.#lanes.shift());
        this.#unhold(held);
        this.#delivered++;
        if (held.durable && this.#log !== undefined) {
          // Client modes: a mark, so a restart brings it back as redelivered. Auto: done now.
          if (subscription.tracked) this.#log.delivered(held.message.id);
          else void this.#log.remove(held.message.id);
        }
        subscription.take(held);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /**
   * The next subscription, after the last one served, that can take a message now. This looks at
   * each subscription at most once per message: simple, and fine for tens of subscribers;
   * @wharf/queue-queue keeps a ring of the ready ones instead, to stay O(1) with thousands.
   * @returns {PrioritySubscription | undefined}
   */
  #nextReady() {
    const subscriptions = this.#subscriptions;
    for (let i = 0; i < subscriptions.length; i++) {
      const subscription = subscriptions[this.#cursor];
      this.#advanceCursor();
      if (subscription.ready) return subscription;
    }
    return undefined;
  }
  // #endregion dispatch

  #advanceCursor() {
    this.#cursor = this.#cursor + 1 < this.#subscriptions.length ? this.#cursor + 1 : 0;
  }

  /**
   * Messages given back go to the head of their priority, in the order they were delivered.
   * @param {readonly HeldMessage[]} messages
   */
  #returnToHead(messages) {
    for (let i = messages.length - 1; i >= 0; i--) {
      const held = messages[i];
      this.#hold(held);
      this.#lanes.unshift(held);
    }
  }

  // #region left-line
  /**
   * A message left the commit line: into its lane, or gone when the store refused it.
   * @param {HeldMessage} held
   * @param {Outcome} outcome
   */
  #leftLine(held, outcome) {
    if (outcome === 'refused') {
      this.#unhold(held); // never accepted: the sender got the store's error
      return;
    }
    if (outcome === 'stored') this.#enqueued++; // accepted once stored (a plain one was counted at once)
    this.#lanes.push(held);
  }
  // #endregion left-line

  // #region overflow
  /**
   * Applies maxLength before `held` joins. Returns false when the new message itself is dropped
   * (drop-lowest, and it ranks below everything held); throws OVERFLOW under `reject`.
   * @param {HeldMessage} held
   * @returns {boolean}
   */
  #makeRoom(held) {
    const { maxLength, overflow } = this.#settings;
    const count = this.#lanes.length + this.#line.length;
    if (maxLength === undefined || count < maxLength) return true;
    if (overflow === 'reject') throw this.#overflowError(count, maxLength);
    const lowest = this.#lanes.lowestPriority();
    if (lowest === undefined || held.priority < lowest) {
      this.#dropped++; // nothing held can make way (all still being stored, or all more important)
      return false;
    }
    const victim = /** @type {HeldMessage} */ (this.#lanes.dropLowest());
    this.#unhold(victim);
    this.#forget(victim);
    this.#dropped++;
    return true;
  }
  // #endregion overflow

  /**
   * @param {number} count
   * @param {number} maxLength
   */
  #overflowError(count, maxLength) {
    return new WharfError(ErrorCodes.OVERFLOW, `priority queue ${this.name} is full: it holds ${count} messages and its maxLength is ${maxLength}`, {
      hint: `wait for consumers to catch up, raise maxLength, or set overflow: drop-lowest in the routing rule for ${this.name}`,
      details: { destination: this.name, limit: 'maxLength', value: maxLength },
    });
  }

  /** @param {'send' | 'subscribe'} what */
  #closedError(what) {
    return new WharfError(ErrorCodes.CLOSED, `priority queue ${this.name} is closed`, { hint: `${what} again: the name is routed anew` });
  }

  /**
   * Removes a message that will never be delivered from the store.
   * @param {HeldMessage} held
   */
  #forget(held) {
    if (held.durable && this.#log !== undefined) void this.#log.remove(held.message.id);
  }

  // #region flow
  /**
   * The queue holds one more message: tell the broker's memory accounting (flow control).
   * @param {HeldMessage} held
   */
  #hold(held) {
    this.#heldBytes += held.size;
    this.#ctx.flow?.held(held.size);
  }

  /** @param {HeldMessage} held */
  #unhold(held) {
    this.#heldBytes -= held.size;
    this.#ctx.flow?.held(-held.size);
  }
  // #endregion flow
}
