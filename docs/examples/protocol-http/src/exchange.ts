/**
 * One request and its answer. Whatever ends a request — its answer, an error, the client going
 * away, the broker closing the session — goes through here once, so a session is never answered
 * twice and never outlives its request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BrokerApi, ConnectionInfo, Logger, WharfError } from '@wharf/core';
import { sendError } from './errors.js';
import type { HttpOptions } from './options.js';

export class Exchange {
  private answered = false;
  /** Resolves true once the answer was handed whole to the stream; false if the client went away first. */
  readonly finished: Promise<boolean>;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly info: ConnectionInfo,
    readonly broker: BrokerApi,
    readonly options: HttpOptions,
    readonly logger: Logger,
  ) {
    this.finished = new Promise((resolve) => {
      // 'finish': the last byte was handed to the stream (for a socket: to the kernel). A 'close'
      // without a 'finish' before it: the client went away before the answer was out.
      res.once('finish', () => resolve(true));
      res.once('close', () => resolve(false));
    });
  }

  /** An answer was started (or the client is gone): nothing more may be sent. */
  get done(): boolean {
    return this.answered || this.res.destroyed;
  }

  json(status: number, value: unknown): void {
    if (this.done) return;
    this.answered = true;
    const text = JSON.stringify(value);
    this.res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  noContent(): void {
    if (this.done) return;
    this.answered = true;
    this.res.writeHead(204).end();
  }

  fail(error: WharfError): void {
    if (this.done) return;
    this.answered = true;
    this.logger.debug({ connection: this.info.id, code: error.code, error: error.message }, 'HTTP request refused');
    sendError(this.res, error);
  }
}
