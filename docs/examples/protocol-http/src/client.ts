/**
 * A small client of the HTTP adapter, on `node:http` alone: what a user's script would write, and
 * what the tests drive the adapter with. Any HTTP client works as well (curl, fetch); this one adds
 * the path encoding, Basic auth and the JSON answers. It imports nothing from @wharf/core.
 */
import { request as httpRequest, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';

export interface HttpClientOptions {
  readonly port: number;
  readonly host?: string;
  readonly login?: string;
  readonly passcode?: string;
  /** Speak HTTPS, with these TLS options (a listener with `transport: tls`). */
  readonly tls?: ConnectionOptions;
  /** Use this stream for each request instead of a socket (tests over in-memory streams). */
  readonly createConnection?: () => Duplex;
  /** Keep connections open between requests (default: Node's global agent). */
  readonly agent?: Agent;
}

export interface HttpMessage {
  readonly destination: string;
  /** The broker's message id. */
  readonly id: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly redelivered: boolean;
  readonly deliveryCount: number;
}

/** An error answer: the HTTP status and the broker's code, message and hint. */
export class HttpBrokerError extends Error {
  constructor(message: string, readonly status: number, readonly code?: string, readonly hint?: string) {
    super(message);
  }
}

export interface PublishOptions {
  /** Message headers; sent as `x-msg-<name>` (HTTP lower-cases the names), `content-type` as itself. */
  readonly headers?: Record<string, string>;
  readonly persistent?: boolean;
  readonly signal?: AbortSignal;
}

export interface PollRequest {
  /** Most messages in the answer (default 1). */
  readonly max?: number;
  /** How long the server may wait for a first message, in ms (default 0). */
  readonly waitMs?: number;
  /** Aborting drops the connection: the server closes the poll's session, acknowledging nothing. */
  readonly signal?: AbortSignal;
}

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** `/queue/a b` → `/queue/a%20b`: each segment encoded, the slashes kept. */
export function destinationPath(destination: string): string {
  return destination.split('/').map(encodeURIComponent).join('/');
}

export class HttpBrokerClient {
  constructor(readonly options: HttpClientOptions) {}

  /** POST /publish/<destination>; resolves once the broker accepted the message. */
  async publish(destination: string, body: string | Uint8Array, options: PublishOptions = {}): Promise<void> {
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      headers[name.toLowerCase() === 'content-type' ? 'content-type' : `x-msg-${name}`] = value;
    }
    const query = options.persistent === true ? '?persistent=true' : '';
    await this.expectOk(await this.request('POST', `/publish${destinationPath(destination)}${query}`, headers, body, options.signal));
  }

  /** GET /poll/<destination>?max=&wait=; resolves with the messages of the answer (acknowledged by it). */
  async poll(destination: string, request: PollRequest = {}): Promise<HttpMessage[]> {
    const path = `/poll${destinationPath(destination)}?max=${request.max ?? 1}&wait=${request.waitMs ?? 0}`;
    const answer = await this.expectOk(await this.request('GET', path, {}, undefined, request.signal));
    const { messages } = JSON.parse(answer.body.toString('utf8')) as { messages: Array<Omit<HttpMessage, 'body'> & { body: string }> };
    return messages.map((m) => ({ ...m, body: Buffer.from(m.body, 'base64') }));
  }

  /** Any request, answered as it came (for tests of what the server refuses). */
  request(method: string, path: string, headers: OutgoingHttpHeaders = {}, body?: string | Uint8Array, signal?: AbortSignal): Promise<Answer> {
    const { options } = this;
    const auth = options.login === undefined ? {} : { authorization: `Basic ${Buffer.from(`${options.login}:${options.passcode ?? ''}`).toString('base64')}` };
    const send = options.tls !== undefined ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send({
        host: options.host ?? '127.0.0.1',
        port: options.port,
        method,
        path,
        headers: { ...auth, ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
        ...(options.tls ?? {}),
        ...(options.agent !== undefined ? { agent: options.agent } : {}),
        ...(options.createConnection !== undefined ? { createConnection: options.createConnection } : {}),
        ...(signal !== undefined ? { signal } : {}),
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.once('error', reject);
      });
      req.once('error', reject);
      req.end(body);
    });
  }

  private expectOk(answer: Answer): Answer {
    if (answer.status >= 200 && answer.status < 300) return answer;
    let error: { code?: string; message?: string; hint?: string } = {};
    try {
      error = (JSON.parse(answer.body.toString('utf8')) as { error?: typeof error }).error ?? {};
    } catch {
      // not JSON: the status is all there is
    }
    throw new HttpBrokerError(error.message ?? `HTTP ${answer.status}`, answer.status, error.code, error.hint);
  }
}
