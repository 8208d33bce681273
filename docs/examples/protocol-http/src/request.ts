/**
 * What a request asks for, checked before anything touches the broker: the endpoint and its
 * destination, the poll's parameters, and the credentials of HTTP Basic auth (RFC 7617). Every
 * problem is a WharfError whose status (errors.ts) tells the client what to fix.
 */
import type { IncomingMessage } from 'node:http';
import type { Credentials } from '@wharf/core';
import { limitError, protocolError, routeError } from './errors.js';
import type { HttpOptions } from './options.js';

export type Endpoint =
  | { readonly op: 'publish'; readonly destination: string; readonly persistent: boolean }
  | { readonly op: 'poll'; readonly destination: string; readonly max: number; readonly waitMs: number };

const METHODS: Readonly<Record<Endpoint['op'], string>> = { publish: 'POST', poll: 'GET' };
const ENDPOINTS = 'POST /publish/<destination> and GET /poll/<destination>?max=&wait=';

/** `/publish/queue/orders?persistent=true` → publish to `/queue/orders`, persistently. */
export function parseEndpoint(req: IncomingMessage, options: HttpOptions): Endpoint {
  // Only the path and query are read; the base is never used.
  const url = new URL(req.url ?? '/', 'http://wharf.invalid');
  const slash = url.pathname.indexOf('/', 1);
  const op = url.pathname.slice(1, slash < 0 ? undefined : slash);
  if (op !== 'publish' && op !== 'poll') throw routeError(404, `no endpoint at ${url.pathname}`, `the endpoints are ${ENDPOINTS}`);
  if (req.method !== METHODS[op]) {
    throw routeError(405, `${op} takes ${METHODS[op]}, not ${req.method}`, `send ${METHODS[op]} /${op}/<destination>`, METHODS[op]);
  }
  const destination = slash < 0 ? '' : decodePath(url.pathname.slice(slash));
  if (destination.length <= 1) throw protocolError(`${op} names no destination`, `name it in the path: /${op}/queue/orders is /queue/orders`);
  const query = url.searchParams;
  for (const name of query.keys()) {
    if (!(op === 'publish' ? PUBLISH_PARAMS : POLL_PARAMS).includes(name)) {
      throw protocolError(`unknown parameter "${name}" for ${op}`, `${op} takes: ${(op === 'publish' ? PUBLISH_PARAMS : POLL_PARAMS).join(', ')}`);
    }
  }
  if (op === 'publish') return { op, destination, persistent: flag(query.get('persistent'), 'persistent') };
  const max = count(query.get('max'), 'max', 1);
  const waitMs = count(query.get('wait'), 'wait', 0);
  if (max < 1) throw protocolError('max must be at least 1', 'ask for one message or more');
  if (max > options.maxPollMessages) throw limitError('maxPollMessages', `max ${max} is above ${options.maxPollMessages}`);
  if (waitMs > options.maxWaitMs) throw limitError('maxWaitMs', `wait ${waitMs} ms is above ${options.maxWaitMs}`);
  return { op, destination, max, waitMs };
}

const PUBLISH_PARAMS = ['persistent'];
const POLL_PARAMS = ['max', 'wait'];

/** Each segment percent-decoded (RFC 3986 §2.1), so a destination may hold any character. */
function decodePath(path: string): string {
  try {
    return path.split('/').map(decodeURIComponent).join('/');
  } catch {
    throw protocolError(`the path ${path} is not valid percent-encoding`, 'encode each segment of the destination with encodeURIComponent');
  }
}

function count(text: string | null, name: string, absent: number): number {
  if (text === null) return absent;
  if (!/^\d{1,9}$/.test(text)) throw protocolError(`${name} must be a whole number, not ${JSON.stringify(text)}`);
  return Number(text);
}

function flag(text: string | null, name: string): boolean {
  if (text === null || text === 'false') return false;
  if (text === 'true') return true;
  throw protocolError(`${name} must be true or false, not ${JSON.stringify(text)}`);
}

/**
 * `Authorization: Basic base64(login:passcode)`; no header is no credentials (the security plugins
 * decide whether anonymous clients are let in). The passcode is everything after the first colon.
 */
export function credentialsOf(req: IncomingMessage): Credentials {
  const header = req.headers.authorization;
  if (header === undefined) return {};
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header);
  if (match === null) throw protocolError('the Authorization header is not HTTP Basic', 'send Authorization: Basic base64(login:passcode)');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw protocolError('the Basic credentials hold no colon', 'encode login:passcode, with the colon');
  return { login: decoded.slice(0, colon), passcode: decoded.slice(colon + 1) };
}

/** Message headers: `content-type`, and each `x-msg-<name>` header as `<name>` (HTTP lower-cases names). */
export const MESSAGE_HEADER_PREFIX = 'x-msg-';

export function messageHeadersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  const contentType = req.headers['content-type'];
  if (contentType !== undefined) headers['content-type'] = contentType;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (name.startsWith(MESSAGE_HEADER_PREFIX) && name.length > MESSAGE_HEADER_PREFIX.length) headers[name.slice(MESSAGE_HEADER_PREFIX.length)] = raw[i + 1]!;
  }
  return headers;
}
