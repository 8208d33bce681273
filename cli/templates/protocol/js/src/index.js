/**
 * __PACKAGE__: the Wharf protocol "__NAME__", a small line protocol over TCP (wire.js says it all).
 * Listen with it by naming it in a listener (see README.md); src/client.js is a client for it.
 */
import { ErrorCodes, WharfError, definePlugin } from '@wharf/core';
import { LineConnection } from './connection.js';

/** @type {import('./connection.js').ListenerOptions} */
const DEFAULTS = { maxLineBytes: 8 * 1024 * 1024, writeHighWaterMark: 1024 * 1024 };

/** @typedef {import('@wharf/core').ProtocolAdapter} ProtocolAdapter */

/** @implements {ProtocolAdapter} */
export class LineProtocolAdapter {
  protocol = '__NAME__';
  /** A listener's `options`, checked by the broker at start (defaults applied). */
  listenerOptionsSchema = {
    type: 'object',
    additionalProperties: false,
    properties: {
      maxLineBytes: { type: 'integer', minimum: 1024, default: DEFAULTS.maxLineBytes, description: 'longest line accepted, in bytes' },
      writeHighWaterMark: { type: 'integer', minimum: 1024, default: DEFAULTS.writeHighWaterMark, description: 'bytes queued for one client before delivery to it pauses' },
    },
  };
  /** @type {Set<LineConnection>} */
  #connections = new Set();

  /**
   * @param {import('node:stream').Duplex} stream @param {import('@wharf/core').ConnectionInfo} connection
   * @param {import('@wharf/core').BrokerApi} broker @param {import('@wharf/core').ListenerConfig} listener
   */
  accept(stream, connection, broker, listener) {
    const options = { ...DEFAULTS, ...listener.options };
    const conn = new LineConnection(stream, connection, broker, options, () => this.#connections.delete(conn));
    this.#connections.add(conn);
  }

  /** The broker stops: every client gets an ERR line saying so, then the close. */
  async shutdown() {
    const reason = new WharfError(ErrorCodes.CLOSED, 'the broker is shutting down');
    for (const conn of [...this.#connections]) conn.fail(reason);
  }
}

export default definePlugin(
  { kind: 'protocol', name: '__PACKAGE__', core: '__CORE_RANGE__', description: 'a small line protocol over TCP' },
  (ctx) => ctx.protocol(new LineProtocolAdapter()),
);
