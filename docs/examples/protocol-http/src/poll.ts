/**
 * GET /poll/<destination>?max=&wait=: one session for the request. It subscribes a PollConsumer
 * (`client-individual`, prefetch `max`), answers with what the destination handed over — at once
 * when something was held, else with the first message to arrive, else empty once `wait` is over —
 * and acknowledges those messages only once the answer went out whole. A client that goes away
 * before that acknowledges nothing: closing the session gives the messages back to the queue,
 * marked redelivered (at-least-once, as a STOMP client that drops its connection gets).
 */
import { ErrorCodes, WharfError, type AckMode, type ClientSession, type Delivery, type Subscription } from '@wharf/core';
import type { Exchange } from './exchange.js';
import { limitError } from './errors.js';
import { credentialsOf, type Endpoint } from './request.js';

/** How a polled message is written in the answer: the body as base64, so bytes stay bytes. */
export interface PolledMessageJson {
  readonly destination: string;
  readonly id: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
}

type PollEndpoint = Extract<Endpoint, { op: 'poll' }>;

/** The listener's count of open polls, for `maxConcurrentPolls`. */
export interface PollGate {
  readonly open: Set<Poll>;
}

export class Poll {
  private session: ClientSession | undefined;
  private consumer: PollConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private answering = false;

  constructor(private readonly exchange: Exchange, private readonly endpoint: PollEndpoint, private readonly gate: PollGate) {}

  async run(): Promise<void> {
    const { options } = this.exchange;
    if (this.gate.open.size >= options.maxConcurrentPolls) {
      throw limitError('maxConcurrentPolls', `${this.gate.open.size} polls are already open on this listener`);
    }
    this.gate.open.add(this);
    try {
      await this.serve();
    } finally {
      this.gate.open.delete(this);
    }
  }

  /** The broker is stopping, or closed the session (the disconnect command): answer with why. */
  end(reason: WharfError): void {
    this.exchange.fail(reason);
    this.release(reason.message);
  }

  /** The broker is stopping: answer 503 and resolve once that answer is out (or the client gone). */
  shutdown(reason: WharfError): Promise<unknown> {
    this.end(reason);
    return this.exchange.finished;
  }

  private async serve(): Promise<void> {
    const { exchange, endpoint } = this;
    const credentials = credentialsOf(exchange.req);
    this.session = await exchange.broker.connect(credentials, exchange.info, { close: (reason) => this.end(reason) });
    // The client may have left, or the broker closed the session, while the plugins decided.
    if (exchange.done) return this.release('client went away during connect');
    const gone = exchange.finished.then((whole) => { if (!whole) this.release('client went away'); });
    this.consumer = new PollConsumer(this, this.session, endpoint.max);
    try {
      // A queue hands over what it holds inside subscribe(), up to `max` (the consumer's prefetch).
      this.consumer.subscription = this.session.subscribe(endpoint.destination, this.consumer);
    } catch (err) {
      this.release('subscribe refused');
      throw err;
    }
    this.consumer.subscribed = true;
    if (this.consumer.held.length > 0 || endpoint.waitMs === 0) this.answer();
    else this.timer = setTimeout(() => this.answer(), endpoint.waitMs);
    await gone;
  }

  /** A message arrived while the poll waited: answer on the next turn, with whatever came in it. */
  arrived(): void {
    if (!this.answering) setImmediate(() => this.answer());
    this.answering = true;
  }

  private answer(): void {
    clearTimeout(this.timer);
    const consumer = this.consumer;
    if (consumer === undefined || consumer.answered || this.exchange.done) return;
    consumer.answered = true;
    const messages = consumer.held.map(({ message, redelivered, deliveryCount }): PolledMessageJson => ({
      destination: this.endpoint.destination,
      id: message.id,
      headers: message.headers,
      body: Buffer.from(message.body.buffer, message.body.byteOffset, message.body.byteLength).toString('base64'),
      redelivered,
      deliveryCount,
    }));
    this.exchange.json(200, { messages });
    void this.exchange.finished.then((whole) => (whole ? this.acknowledge() : this.release('client went away')));
  }

  /** The answer went out whole: its messages are done with, then the session. */
  private async acknowledge(): Promise<void> {
    const consumer = this.consumer!;
    try {
      // Each may wait for the store (a persistent message is forgotten durably).
      await Promise.all(consumer.held.map((delivery) => consumer.subscription!.ack(delivery.tag)));
    } catch (err) {
      this.exchange.logger.warn({ err, connection: this.exchange.info.id }, 'acknowledging a poll answer failed; the messages will be redelivered');
    }
    this.release('poll answered');
  }

  /** Closes the session once: what is not acknowledged goes back to its queue. */
  private release(reason: string): void {
    clearTimeout(this.timer);
    const session = this.session;
    this.session = undefined;
    if (session !== undefined && !session.closed) session.close(reason);
  }
}

/** The poll's one subscription: it holds deliveries for the answer instead of writing them. */
class PollConsumer {
  readonly id = 'poll';
  readonly ackMode: AckMode = 'client-individual';
  subscription: Subscription | undefined;
  readonly held: Delivery[] = [];
  subscribed = false;
  answered = false;

  constructor(private readonly poll: Poll, readonly session: ClientSession, readonly prefetch: number) {}

  deliver(delivery: Delivery): boolean {
    // Arrived after the answer was written: left unacknowledged, so closing the session gives it
    // back to its queue for the next poll. `false`: nothing more comes meanwhile.
    if (this.answered) return false;
    this.held.push(delivery);
    // Held messages come inside subscribe(), up to max; after that, one is enough to answer.
    if (!this.subscribed) return this.held.length < this.prefetch;
    this.poll.arrived();
    return false;
  }

  cancel(reason: WharfError): void {
    this.poll.end(reason);
  }
}

export const shuttingDown = (): WharfError => new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down', { hint: 'poll again once the broker is back' });
