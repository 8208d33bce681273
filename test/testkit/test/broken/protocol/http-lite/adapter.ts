/**
 * A small, correct HTTP publish/poll adapter (the wire of docs/examples/protocol-http, in
 * miniature) that the request/response variants next to this folder each break in one place. Its
 * seams are the methods a variant overrides: how a poll subscribes, when a request's session ends,
 * what happens when a waiting poll's client leaves. The control (index.ts) passes the
 * request-response profile of describeProtocolAdapter(); each variant must not.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  ErrorCodes, WharfError, protocolError,
  type AckMode, type BrokerApi, type ClientSession, type ConnectionInfo, type Credentials, type Delivery, type ProtocolAdapter,
} from '@wharf/core';

const STATUS: Record<string, number> = { [ErrorCodes.BAD_CREDENTIALS]: 401, [ErrorCodes.ACCESS_DENIED]: 403, [ErrorCodes.NO_ROUTE]: 404 };

export interface PollRequest {
  readonly session: ClientSession;
  readonly res: ServerResponse;
  readonly destination: string;
  readonly max: number;
  readonly waitMs: number;
}

export class HttpLiteAdapter implements ProtocolAdapter {
  readonly protocol = 'http-lite';
  private server: Server | undefined;
  private readonly infos = new WeakMap<object, ConnectionInfo>();
  private broker!: BrokerApi;
  private requests = 0;

  accept(stream: Duplex, info: ConnectionInfo, broker: BrokerApi): void {
    this.broker = broker;
    this.server ??= createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => answerError(res, err instanceof WharfError ? err : protocolError(String(err))));
    });
    this.infos.set(stream, info);
    this.server.emit('connection', stream);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const [, op] = url.pathname.split('/');
    const destination = url.pathname.slice(op!.length + 1);
    if ((op !== 'publish' && op !== 'poll') || destination.length <= 1) throw Object.assign(protocolError(`no endpoint at ${url.pathname}`), { status: 404 });
    const max = Number(url.searchParams.get('max') ?? 1);
    const waitMs = Number(url.searchParams.get('wait') ?? 0);
    if (!Number.isInteger(max) || max < 1 || !Number.isInteger(waitMs) || waitMs < 0) throw protocolError('max and wait must be whole numbers');
    const info = { ...this.infos.get(req.socket)!, id: `${this.infos.get(req.socket)!.id}.${++this.requests}` };
    const session = await this.broker.connect(credentialsOf(req), info, { close: (reason) => answerError(res, reason) });
    try {
      if (op === 'publish') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const headers: Record<string, string> = {};
        if (req.headers['content-type'] !== undefined) headers['content-type'] = req.headers['content-type'];
        for (const [name, value] of Object.entries(req.headers)) if (name.startsWith('x-msg-')) headers[name.slice(6)] = String(value);
        await session.send(destination, { headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
        this.done(session);
      } else {
        this.poll({ session, res, destination, max, waitMs });
      }
    } catch (err) {
      this.done(session);
      throw err;
    }
  }

  private poll(request: PollRequest): void {
    const { session, res, max, waitMs } = request;
    const held: Delivery[] = [];
    let subscribed = false;
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const { ackMode, prefetch } = this.consumerMode(max);
    const answer = (): void => {
      if (answered || res.destroyed) return;
      answered = true;
      clearTimeout(timer);
      const batch = held.slice(0, max);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
        messages: batch.map(({ message, redelivered }) => ({
          destination: request.destination, id: message.id, headers: message.headers,
          body: Buffer.from(message.body).toString('base64'), redelivered,
        })),
      }));
      res.once('finish', () => {
        if (ackMode !== 'auto') for (const delivery of batch) void subscription.ack(delivery.tag);
        this.done(session);
      });
    };
    const subscription = session.subscribe(request.destination, {
      id: 'poll', session, ackMode, prefetch,
      deliver: (delivery) => {
        held.push(delivery);
        if (!subscribed) return prefetch === 0 || held.length < prefetch;
        setImmediate(answer);
        return false;
      },
      cancel: (reason) => answerError(res, reason),
    });
    subscribed = true;
    res.once('close', () => {
      if (!answered) this.clientLeft(session, () => clearTimeout(timer));
    });
    if (held.length > 0 || waitMs === 0) answer();
    else timer = setTimeout(answer, waitMs);
  }

  // ------------------------------------------------------------- the seams the variants break

  /** A poll's consumer: `client-individual`, at most `max` in flight, acked once answered. */
  consumerMode(max: number): { ackMode: AckMode; prefetch: number } {
    return { ackMode: 'client-individual', prefetch: max };
  }

  /** The request was answered: its session ends. */
  done(session: ClientSession): void {
    session.close('request answered');
  }

  /** A waiting poll's client went away: its session ends, so no message goes to a dead poll. */
  clientLeft(session: ClientSession, stopWaiting: () => void): void {
    stopWaiting();
    session.close('client went away');
  }
}

function credentialsOf(req: IncomingMessage): Credentials {
  const match = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (match === null) return {};
  const text = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return { login: text.slice(0, colon), passcode: text.slice(colon + 1) };
}

function answerError(res: ServerResponse, error: WharfError): void {
  if (res.headersSent || res.destroyed) return;
  const status = (error as WharfError & { status?: number }).status ?? STATUS[error.code] ?? 400;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: error.code, message: error.message } }));
}
