/**
 * A queue that redelivers: each message goes to one subscriber (round-robin); what is not
 * acknowledged comes back to the head of the queue — on NACK, on unsubscribe, on disconnect — and
 * is handed out again marked `redelivered`, with its delivery count. After `maxDeliveries`
 * deliveries a message is moved to the `deadLetter` destination (or dropped and counted).
 *
 * The contract it implements is in @wharf/core's `Destination`, `Consumer` and `Subscription`
 * (see docs/writing-a-queue-type.md in the Wharf repository). Types are JSDoc: editors and
 * `tsc --checkJs` read them; Node runs the file as it is.
 */
import { ErrorCodes, WharfError, messageSize } from '@wharf/core';

/** @typedef {import('@wharf/core').Consumer} Consumer */
/** @typedef {import('@wharf/core').Destination} Destination */
/** @typedef {import('@wharf/core').Subscription} Subscription */
/** @typedef {import('@wharf/core').DestinationStats} DestinationStats */
/** @typedef {import('@wharf/core').Message} Message */
/** @typedef {import('@wharf/core').QueueContext} QueueContext */
/** @typedef {import('@wharf/core').StoredMessage} StoredMessage */

/**
 * @typedef {object} QueueSettings
 * @property {number} maxDeliveries Deliveries before a message is given up on; 0: never.
 * @property {string} [deadLetter] Where a message given up on goes; unset: it is dropped.
 */

/**
 * A message as the queue holds it.
 * @typedef {{ message: Message, deliveryCount: number, size: number }} Held
 */

const noop = () => {};

/** @implements {Destination} */
export class RedeliveringQueue {
  /** @type {Held[]} */ #waiting = [];
  /** @type {QueueSubscription[]} */ #subscribers = [];
  /** Round-robin: the subscriber that gets the next message. */
  #next = 0;
  /** Messages whose durable write is in flight, and every message sent after one: order is kept. */
  /** @type {Promise<unknown>} */ #inFlight = Promise.resolve();
  #writing = 0;
  #dispatching = false;
  #closed = false;
  #enqueued = 0;
  #delivered = 0;
  #dropped = 0;

  /**
   * @param {string} name
   * @param {string} type
   * @param {QueueSettings} settings
   * @param {QueueContext} ctx
   */
  constructor(name, type, settings, ctx) {
    this.name = name;
    this.type = type;
    this.settings = settings;
    this.ctx = ctx;
  }

  /** @param {Message} message @returns {void | Promise<void>} */
  publish(message) {
    if (this.#closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'send again' });
    const durable = this.ctx.durable !== undefined && message.persistent;
    if (!durable && this.#writing === 0) return this.#accept(message);
    // A durable message joins the queue once the store committed it (never if the store refused
    // it); a message sent after it waits for it, so nothing overtakes.
    const written = durable ? this.ctx.durable?.append(message) : undefined;
    const before = this.#inFlight;
    this.#writing++;
    const accepted = Promise.allSettled([before, written]).then(([, write]) => {
      this.#writing--;
      if (write.status === 'rejected') throw write.reason;
      this.#accept(message);
    });
    this.#inFlight = accepted.catch(noop);
    return accepted;
  }

  /** A message the store kept across a restart, oldest first: back in the queue as it was. @param {StoredMessage} stored */
  restore(stored) {
    this.#hold({ message: stored.message, deliveryCount: stored.deliveryCount, size: messageSize(stored.message) }, 'tail');
  }

  /** @param {Consumer} consumer @returns {Subscription} */
  attach(consumer) {
    if (this.#closed) throw new WharfError(ErrorCodes.CLOSED, `queue ${this.name} is closed`, { hint: 'subscribe again' });
    const subscription = new QueueSubscription(this, consumer);
    this.#subscribers.push(subscription);
    this.#dispatch();
    return subscription;
  }

  /** @returns {number} */
  purge() {
    const count = this.#waiting.length;
    for (const held of this.#waiting.splice(0)) this.#forget(held, true);
    return count;
  }

  /** @returns {DestinationStats} */
  stats() {
    const unacked = this.#subscribers.reduce((n, s) => n + s.unackedCount, 0);
    return { subscribers: this.#subscribers.length, depth: this.#waiting.length, unacked, enqueued: this.#enqueued, delivered: this.#delivered, dropped: this.#dropped };
  }

  /** @param {WharfError} reason */
  close(reason) {
    if (this.#closed) return;
    this.#closed = true;
    for (const held of this.#waiting.splice(0)) this.ctx.flow?.held(-held.size);
    const subscribers = this.#subscribers;
    this.#subscribers = [];
    for (const s of subscribers) s.end();
    for (const s of subscribers) s.consumer.cancel(reason);
  }

  // ---- what subscriptions tell the queue -------------------------------------------------------

  /** A subscription can take messages again (acked, resumed). */
  ready() {
    this.#dispatch();
  }

  /** Messages a subscriber gave back (NACK, unsubscribe, disconnect) go to the head, oldest first. @param {readonly Held[]} returned */
  giveBack(returned) {
    for (let i = returned.length - 1; i >= 0; i--) {
      const held = returned[i];
      if (this.settings.maxDeliveries > 0 && held.deliveryCount >= this.settings.maxDeliveries) this.#giveUp(held);
      else this.#hold(held, 'head');
    }
    this.#dispatch();
  }

  /** Acknowledged: the store forgets durable messages; the promise settles when that is committed. @param {readonly Held[]} done */
  acknowledged(done) {
    const durable = this.ctx.durable;
    const removals = durable ? done.filter((h) => h.message.persistent).map((h) => durable.remove(h.message.id)) : [];
    this.#dispatch();
    return removals.length === 0 ? undefined : Promise.all(removals).then(noop);
  }

  /** @param {QueueSubscription} subscription @param {readonly Held[]} returned */
  detached(subscription, returned) {
    this.#subscribers = this.#subscribers.filter((s) => s !== subscription);
    this.giveBack(returned);
  }

  // ---- inside ----------------------------------------------------------------------------------

  /** @param {Message} message */
  #accept(message) {
    this.#enqueued++;
    this.#hold({ message, deliveryCount: 0, size: messageSize(message) }, 'tail');
    this.#dispatch();
  }

  /** @param {Held} held @param {'head' | 'tail'} where */
  #hold(held, where) {
    if (where === 'head') this.#waiting.unshift(held);
    else this.#waiting.push(held);
    this.ctx.flow?.held(held.size);
  }

  /** Hands waiting messages to subscribers that can take one, round-robin, until either runs out. */
  #dispatch() {
    if (this.#dispatching || this.#closed) return;
    this.#dispatching = true;
    try {
      while (this.#waiting.length > 0) {
        const subscriber = this.#nextReady();
        if (subscriber === undefined) break;
        const held = /** @type {Held} */ (this.#waiting.shift());
        this.ctx.flow?.held(-held.size);
        this.#delivered++;
        const durable = held.message.persistent ? this.ctx.durable : undefined;
        if (durable && subscriber.tracked) durable.delivered(held.message.id);
        else if (durable) void durable.remove(held.message.id);
        subscriber.take(held);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  /** @returns {QueueSubscription | undefined} */
  #nextReady() {
    for (let i = 0; i < this.#subscribers.length; i++) {
      const index = (this.#next + i) % this.#subscribers.length;
      const candidate = this.#subscribers[index];
      if (candidate.ready) {
        this.#next = index + 1;
        return candidate;
      }
    }
    return undefined;
  }

  /** @param {Held} held */
  #giveUp(held) {
    if (this.settings.deadLetter !== undefined) {
      void Promise.resolve(this.ctx.forward(this.settings.deadLetter, held.message)).catch((err) => {
        this.ctx.logger.warn({ err, id: held.message.id }, 'could not move a message to the dead-letter destination');
      });
    } else {
      this.#dropped++;
    }
    this.#forget(held, false);
  }

  /** @param {Held} held @param {boolean} wasHeld */
  #forget(held, wasHeld) {
    if (wasHeld) this.ctx.flow?.held(-held.size);
    if (held.message.persistent && this.ctx.durable) void this.ctx.durable.remove(held.message.id);
  }
}

/**
 * One consumer on the queue: its tags, its unacknowledged deliveries, its prefetch window.
 * @implements {Subscription}
 */
class QueueSubscription {
  #active = true;
  #paused = false;
  #lastTag = 0;
  /** Unacknowledged deliveries by tag, oldest first (a Map keeps insertion order). @type {Map<number, Held>} */
  #unacked = new Map();

  /** @param {RedeliveringQueue} queue @param {Consumer} consumer */
  constructor(queue, consumer) {
    this.queue = queue;
    this.consumer = consumer;
    this.destination = queue.name;
    this.tracked = consumer.ackMode !== 'auto';
  }

  /** Never while its session closes: what another subscription of it gives back must not come here. */
  get ready() {
    const full = this.tracked && this.consumer.prefetch > 0 && this.#unacked.size >= this.consumer.prefetch;
    return this.#active && !this.#paused && !full && !this.consumer.session.closed;
  }

  get unackedCount() {
    return this.#unacked.size;
  }

  /** @param {Held} held */
  take(held) {
    const tag = ++this.#lastTag;
    held.deliveryCount++;
    if (this.tracked) this.#unacked.set(tag, held); // before deliver(): the consumer may ack inside it
    const more = this.consumer.deliver({ message: held.message, tag, redelivered: held.deliveryCount > 1, deliveryCount: held.deliveryCount });
    if (!more) this.#paused = true;
  }

  /** `client`: this delivery and every earlier one (cumulative); `client-individual`: this one. @param {number} tag */
  ack(tag) {
    if (!this.#active) return;
    return this.queue.acknowledged(this.#settle(tag));
  }

  /** Back to the queue for redelivery, with the same cumulative rule as ack (STOMP 1.2 NACK). @param {number} tag */
  nack(tag) {
    if (!this.#active) return;
    this.queue.giveBack(this.#settle(tag));
  }

  /**
   * Transactions (STOMP 1.2 COMMIT: all or nothing): throws what ack()/nack() would throw were
   * `settlements` applied in this order now, and changes nothing. Core calls it before a COMMIT
   * applies anything. @param {readonly { kind: 'ack' | 'nack', tag: number }[]} settlements
   */
  prepare(settlements) {
    if (!this.#active) return;
    /** @type {Set<number>} */
    const settled = new Set();
    for (const { tag } of settlements) {
      if (!this.tracked) {
        if (!Number.isInteger(tag) || tag < 1 || tag > this.#lastTag) throw this.#unknown(tag);
        continue;
      }
      if (!this.#unacked.has(tag) || settled.has(tag)) throw this.#unknown(tag);
      if (this.consumer.ackMode === 'client-individual') settled.add(tag);
      else for (const t of this.#unacked.keys()) {
        if (t > tag) break;
        settled.add(t);
      }
    }
  }

  resume() {
    if (!this.#active || !this.#paused) return;
    this.#paused = false;
    this.queue.ready();
  }

  detach() {
    if (!this.#active) return;
    this.#active = false;
    const returned = [...this.#unacked.values()];
    this.#unacked.clear();
    this.queue.detached(this, returned);
  }

  /** The queue closed: nothing goes back. */
  end() {
    this.#active = false;
    this.#unacked.clear();
  }

  /** Takes the deliveries an ack or nack of `tag` settles out of the unacknowledged set. @param {number} tag @returns {Held[]} */
  #settle(tag) {
    if (!this.tracked) {
      if (!Number.isInteger(tag) || tag < 1 || tag > this.#lastTag) throw this.#unknown(tag);
      return [];
    }
    const held = this.#unacked.get(tag);
    if (held === undefined) throw this.#unknown(tag);
    if (this.consumer.ackMode === 'client-individual') {
      this.#unacked.delete(tag);
      return [held];
    }
    /** @type {Held[]} */
    const settled = [];
    for (const [t, h] of this.#unacked) {
      if (t > tag) break;
      settled.push(h);
      this.#unacked.delete(t);
    }
    return settled;
  }

  /** @param {number} tag */
  #unknown(tag) {
    return new WharfError(ErrorCodes.UNKNOWN_SUBSCRIPTION, `subscription ${this.consumer.id} to ${this.destination} has no unacknowledged delivery ${tag}`, {
      hint: 'acknowledge each delivery once, with the ack id of its message',
    });
  }
}
