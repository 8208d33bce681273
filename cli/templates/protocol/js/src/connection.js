/**
 * One client connection: lines in (wire.js), each command run against the broker session through
 * its reference methods; lines out through core's BatchedWriter (one write per tick, `false` past
 * its high-water mark, which is all backpressure takes). Any error ends the connection the same
 * way: an ERR line, flushed, then the close.
 */
import { BatchedWriter, ConsumerTable, ErrorCodes, WharfError, limitError, protocolError } from '@wharf/core';
import { NONE, bodyWord, headersWord, unbody, unheaders, unword, word, LineSplitter } from './wire.js';

/** @typedef {import('@wharf/core').AckMode} AckMode */
/** @typedef {import('@wharf/core').BrokerApi} BrokerApi */
/** @typedef {import('@wharf/core').ClientSession} ClientSession */
/** @typedef {import('@wharf/core').ConnectionInfo} ConnectionInfo */
/** @typedef {import('@wharf/core').Delivery} Delivery */
/** @typedef {import('@wharf/core').Subscription} Subscription */
/** @typedef {import('@wharf/core').TableConsumer} TableConsumer */
/** @typedef {import('node:stream').Duplex} Duplex */

/**
 * @typedef {object} ListenerOptions
 * @property {number} maxLineBytes Longest line accepted, in bytes.
 * @property {number} writeHighWaterMark Bytes queued for one client before its subscriptions pause.
 */

const ACK_MODES = new Set(['auto', 'client', 'client-individual']);
/** How long a closing connection waits for the client to read its ERR line. */
const CLOSE_GRACE_MS = 2000;

/**
 * A subscription of this connection: the Consumer the destination delivers to.
 * @implements {TableConsumer}
 */
class LineConsumer {
  /** @type {Subscription | undefined} */
  subscription = undefined;

  /**
   * @param {LineConnection} connection @param {string} id @param {number} number @param {string} destination
   * @param {ClientSession} session @param {AckMode} ackMode @param {number} prefetch
   */
  constructor(connection, id, number, destination, session, ackMode, prefetch) {
    this.connection = connection;
    this.id = id;
    this.number = number;
    this.destination = destination;
    this.session = session;
    this.ackMode = ackMode;
    this.prefetch = prefetch;
  }

  /** @param {Delivery} delivery @returns {boolean} */
  deliver(delivery) {
    const m = delivery.message;
    const token = this.ackMode === 'auto' ? NONE : `${this.number}-${delivery.tag}`;
    const line = ['MSG', word(this.id), token, delivery.redelivered ? '1' : '0', word(m.id), word(this.destination), headersWord(m.headers), bodyWord(m.body)];
    return this.connection.write(line.join(' '));
  }

  /** @param {WharfError} reason */
  cancel(reason) {
    this.connection.fail(reason);
  }
}

export class LineConnection {
  /** @type {ConsumerTable<LineConsumer>} */
  #subscriptions = new ConsumerTable();
  /** @type {ClientSession | undefined} */
  #session = undefined;
  /** @type {'new' | 'connecting' | 'open' | 'closed'} */
  #state = 'new';
  /** Lines that arrived while CONNECT was being decided, run in order once it is. @type {string[]} */
  #waiting = [];
  #flowPaused = false;

  /**
   * @param {Duplex} stream @param {ConnectionInfo} info @param {BrokerApi} broker
   * @param {ListenerOptions} options @param {() => void} onClosed
   */
  constructor(stream, info, broker, options, onClosed) {
    this.stream = stream;
    this.info = info;
    this.broker = broker;
    this.onClosed = onClosed;
    this.splitter = new LineSplitter(options.maxLineBytes, (line) => this.#onLine(line));
    this.writer = new BatchedWriter(stream, { highWaterMark: options.writeHighWaterMark, onDrain: () => this.#subscriptions.resumeAll() });
    stream.on('data', (/** @type {Buffer} */ chunk) => {
      if (this.#state === 'closed') return;
      try {
        this.splitter.push(chunk);
      } catch (err) {
        this.fail(err instanceof RangeError ? limitError('maxLineBytes', err.message) : toClientError(err));
      }
    });
    // The client said goodbye (its side ended): the session ends, and so does the connection.
    stream.once('end', () => {
      this.#release('client closed the connection');
      stream.destroy();
    });
    stream.once('close', () => this.#release('connection closed'));
    stream.on('error', () => this.#release('connection error'));
  }

  /** @param {string} line @returns {boolean} */
  write(line) {
    return this.writer.write(Buffer.from(`${line}\n`, 'utf8'));
  }

  /** Ends the connection because of `error`: an ERR line, then the close. @param {WharfError} error */
  fail(error) {
    if (this.#state === 'closed') return;
    this.write(`ERR ${word(error.message)}`);
    this.#release(error.message);
    this.writer.end(CLOSE_GRACE_MS);
    this.stream.resume(); // read on (and drop), so the client's own close is seen
  }

  /** @param {string} line */
  #onLine(line) {
    if (this.#state === 'connecting') {
      this.#waiting.push(line);
      return;
    }
    if (this.#state === 'closed' || line.trim() === '') return;
    try {
      const result = this.#run(line.split(' '));
      if (result instanceof Promise) result.catch((err) => this.fail(toClientError(err)));
    } catch (err) {
      this.fail(toClientError(err));
    }
  }

  /** @param {string[]} words @returns {void | Promise<void>} */
  #run([command, ...args]) {
    if (this.#state === 'new') {
      if (command !== 'CONNECT') throw protocolError(`expected CONNECT, got ${command}`, 'start with CONNECT <login> <passcode>');
      return this.#connect(unword(args[0]), unword(args[1]));
    }
    const session = /** @type {ClientSession} */ (this.#session);
    const receipt = args[0] ?? NONE;
    switch (command) {
      case 'SUB': {
        const [, id = '', ack = 'auto', prefetch = '0', destination = ''] = args;
        if (!ACK_MODES.has(ack)) throw protocolError(`unknown ack mode ${ack}`, 'use auto, client or client-individual');
        if (this.#subscriptions.has(unword(id))) throw protocolError(`subscription id ${unword(id)} is already in use`);
        const mode = /** @type {AckMode} */ (ack);
        const consumer = new LineConsumer(this, unword(id), this.#subscriptions.nextNumber(), unword(destination), session, mode, Number(prefetch) || 0);
        this.#subscriptions.add(consumer);
        try {
          consumer.subscription = session.subscribe(consumer.destination, consumer);
        } catch (err) {
          this.#subscriptions.remove(consumer);
          throw err;
        }
        return this.#ok(receipt);
      }
      case 'UNSUB': {
        const consumer = this.#subscriptions.get(unword(args[1]));
        if (consumer?.subscription === undefined) throw protocolError(`no subscription ${unword(args[1])}`);
        this.#subscriptions.remove(consumer);
        session.unsubscribe(consumer.subscription);
        return this.#ok(receipt);
      }
      case 'SEND': {
        const sent = session.send(unword(args[1]), { headers: unheaders(args[2]), body: unbody(args[3]), persistent: false });
        return sent instanceof Promise ? sent.then(() => this.#ok(receipt)) : this.#ok(receipt);
      }
      case 'ACK':
      case 'NACK': {
        const found = this.#subscriptions.byAckToken(args[1] ?? '');
        const subscription = found?.consumer.subscription;
        if (found === undefined || subscription === undefined) {
          throw protocolError(`unknown ack token ${args[1]}`, 'send back the token of a message of an open subscription');
        }
        const done = command === 'ACK' ? session.ack(subscription, found.tag) : session.nack(subscription, found.tag);
        return done instanceof Promise ? done.then(() => this.#ok(receipt)) : this.#ok(receipt);
      }
      default:
        throw protocolError(`unknown command ${command}`, 'the commands are SUB, UNSUB, SEND, ACK, NACK');
    }
  }

  /** @param {string} login @param {string} passcode */
  async #connect(login, passcode) {
    this.#state = 'connecting';
    this.stream.pause();
    const session = await this.broker.connect({ ...(login ? { login } : {}), ...(passcode ? { passcode } : {}) }, this.info, {
      close: (reason) => this.fail(reason),
      pauseReading: () => { this.#flowPaused = true; this.stream.pause(); },
      resumeReading: () => { this.#flowPaused = false; if (this.#state === 'open') this.stream.resume(); },
    });
    if (this.#isClosed()) {
      // The client went away while the security plugins were deciding.
      session.close('connection closed during connect');
      return;
    }
    this.#session = session;
    this.#state = 'open';
    this.write(`CONNECTED ${word(session.id)}`);
    for (const line of this.#waiting.splice(0)) this.#onLine(line);
    if (!this.#flowPaused) this.stream.resume();
  }

  #isClosed() {
    return this.#state === 'closed';
  }

  /** @param {string} receipt */
  #ok(receipt) {
    if (receipt !== NONE && this.#state === 'open') this.write(`OK ${receipt}`);
  }

  /** Closes the broker session once: subscriptions detach, unacknowledged messages go back. @param {string} reason */
  #release(reason) {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined && !session.closed) session.close(reason);
    this.#subscriptions.clear();
    this.onClosed();
  }
}

/** @param {unknown} err @returns {WharfError} */
function toClientError(err) {
  return err instanceof WharfError ? err : new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the command', { cause: err });
}
