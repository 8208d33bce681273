/**
 * A client for the "__NAME__" protocol: what a user of the protocol writes, and what the tests drive
 * the adapter with (`driver`, the shape @wharf/testkit's describeProtocolAdapter asks for). Every
 * command that changes something asks for an OK, so `await client.subscribe(...)` means it is in place.
 */
import { connect as connectTcp } from 'node:net';
import { once } from 'node:events';
import { NONE, bodyWord, headersWord, unbody, unheaders, unword, word, LineSplitter } from './wire.js';

/** @typedef {import('@wharf/testkit').ProtocolTestMessage} ProtocolTestMessage */
/** @typedef {import('@wharf/testkit').TestProtocolClient} TestProtocolClient */
/**
 * @template T
 * @typedef {{ resolve(value: T): void, reject(err: Error): void }} Waiter
 */

/** @implements {TestProtocolClient} */
export class LineClient {
  /** @type {string | undefined} */ sessionId = undefined;
  /** The text of the ERR line the server sent, if any. @type {string | undefined} */ error = undefined;
  /** @type {ProtocolTestMessage[]} */ #messages = [];
  /** @type {Waiter<ProtocolTestMessage | undefined>[]} */ #messageWaiters = [];
  /** @type {Map<string, Waiter<void>>} */ #pending = new Map();
  #receipts = 0;
  /** @type {Waiter<void> | undefined} */ #connected = undefined;
  #isClosed = false;

  /** @param {import('node:net').Socket} socket */
  constructor(socket) {
    this.socket = socket;
    const splitter = new LineSplitter(256 * 1024 * 1024, (line) => this.#onLine(line.split(' ')));
    socket.on('data', (/** @type {Buffer} */ chunk) => splitter.push(chunk));
    socket.on('error', () => undefined); // the close that follows is what callers see
    /** @type {Promise<void>} */
    this.closed = once(socket, 'close').then(() => this.#onClose());
  }

  /**
   * Connects and logs in; rejects with the server's ERR text (after the close) when refused.
   * @param {number} port @param {{ login?: string, passcode?: string }} [credentials] @returns {Promise<LineClient>}
   */
  static async connect(port, credentials = {}) {
    const client = new LineClient(connectTcp(port, '127.0.0.1'));
    /** @type {Promise<void>} */
    const done = new Promise((resolve, reject) => { client.#connected = { resolve, reject }; });
    client.socket.write(`CONNECT ${word(credentials.login ?? '')} ${word(credentials.passcode ?? '')}\n`);
    await done;
    return client;
  }

  /** @param {string} destination @param {{ id: string, ack?: string, prefetch?: number }} options */
  subscribe(destination, options) {
    return this.#request('SUB', word(options.id), options.ack ?? 'auto', String(options.prefetch ?? 0), word(destination));
  }

  /** @param {string} id */
  unsubscribe(id) {
    return this.#request('UNSUB', word(id));
  }

  /** @param {string} destination @param {Buffer} body @param {Record<string, string>} [headers] @param {{ receipt?: boolean }} [options] */
  send(destination, body, headers = {}, options = {}) {
    const words = [word(destination), headersWord(headers), bodyWord(body)];
    if (options.receipt) return this.#request('SEND', ...words);
    this.socket.write(`SEND ${NONE} ${words.join(' ')}\n`);
    return Promise.resolve();
  }

  /**
   * The next message, or undefined when none arrives within `timeoutMs`; rejects once closed.
   * @param {number} timeoutMs @returns {Promise<ProtocolTestMessage | undefined>}
   */
  nextMessage(timeoutMs) {
    const ready = this.#messages.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    if (this.#isClosed) return Promise.reject(this.#closedError());
    return new Promise((resolve, reject) => {
      /** @type {Waiter<ProtocolTestMessage | undefined>} */
      const waiter = {
        resolve: (m) => { clearTimeout(timer); resolve(m); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      const timer = setTimeout(() => {
        this.#messageWaiters.splice(this.#messageWaiters.indexOf(waiter), 1);
        resolve(undefined);
      }, timeoutMs);
      this.#messageWaiters.push(waiter);
    });
  }

  /** Resolves with the server's ERR text once the connection closed; rejects otherwise. @param {number} timeoutMs @returns {Promise<string>} */
  async expectError(timeoutMs) {
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs); });
    try {
      await Promise.race([this.closed, late]);
    } finally {
      clearTimeout(timer);
    }
    if (this.error === undefined) throw new Error('the connection closed without an ERR line');
    return this.error;
  }

  pause() {
    this.socket.pause();
  }

  resume() {
    this.socket.resume();
  }

  async close() {
    this.socket.end();
    this.socket.resume();
    await this.closed;
  }

  /** @param {string} command @param {string[]} words @returns {Promise<void>} */
  #request(command, ...words) {
    if (this.#isClosed) return Promise.reject(this.#closedError());
    const receipt = `r${++this.#receipts}`;
    /** @type {Promise<void>} */
    const done = new Promise((resolve, reject) => this.#pending.set(receipt, { resolve, reject }));
    this.socket.write(`${command} ${receipt} ${words.join(' ')}\n`);
    return done;
  }

  /** @param {string[]} words */
  #onLine([command, ...args]) {
    switch (command) {
      case 'CONNECTED':
        this.sessionId = unword(args[0]);
        this.#connected?.resolve();
        return;
      case 'OK':
        this.#pending.get(args[0] ?? '')?.resolve();
        this.#pending.delete(args[0] ?? '');
        return;
      case 'ERR':
        this.error = unword(args[0]);
        return;
      case 'MSG': {
        const [, token = NONE, redelivered, id, destination, headers, body] = args;
        /** @type {ProtocolTestMessage} */
        const message = {
          destination: unword(destination), messageId: unword(id), body: unbody(body), headers: unheaders(headers), redelivered: redelivered === '1',
          ack: () => this.#request('ACK', token),
          nack: () => this.#request('NACK', token),
        };
        const waiter = this.#messageWaiters.shift();
        if (waiter) waiter.resolve(message);
        else this.#messages.push(message);
        return;
      }
    }
  }

  #onClose() {
    this.#isClosed = true;
    const err = this.#closedError();
    this.#connected?.reject(err);
    for (const waiter of this.#pending.values()) waiter.reject(err);
    this.#pending.clear();
    for (const waiter of this.#messageWaiters.splice(0)) waiter.reject(err);
  }

  #closedError() {
    return new Error(this.error ?? 'the connection is closed');
  }
}

/** What describeProtocolAdapter() speaks this protocol through. @type {import('@wharf/testkit').ProtocolTestDriver} */
export const driver = {
  connect: (port, credentials) => LineClient.connect(port, credentials),
};
