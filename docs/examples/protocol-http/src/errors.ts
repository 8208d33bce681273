/**
 * How a WharfError becomes an HTTP answer: a status code chosen by the error's code (RFC 9110
 * §15), and a JSON body with the broker's code, message and hint, the same words a STOMP client
 * reads in its ERROR frame.
 */
import type { ServerResponse } from 'node:http';
import { ErrorCodes, WharfError, limitError, protocolError, type ErrorCode } from '@wharf/core';

// Core's factories make the same errors every adapter uses: a broken rule, a limit passed.
export { limitError, protocolError };

const STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCodes.BAD_CREDENTIALS]: 401,
  [ErrorCodes.ACCESS_DENIED]: 403,
  [ErrorCodes.NOT_FOUND]: 404,
  [ErrorCodes.NO_ROUTE]: 404,
  [ErrorCodes.BAD_DESTINATION]: 400,
  [ErrorCodes.NOT_SUBSCRIBABLE]: 400,
  [ErrorCodes.PROTOCOL]: 400,
  [ErrorCodes.BAD_COMMAND]: 400,
  [ErrorCodes.OVERFLOW]: 503,
  [ErrorCodes.CLOSED]: 503,
  [ErrorCodes.STORE]: 500,
};

/** Limits answer by what they protect: a body too large, too many polls, or a parameter too large. */
const LIMIT_STATUS: Readonly<Record<string, number>> = { maxBodyBytes: 413, maxConcurrentPolls: 429 };

export function statusOf(error: WharfError): number {
  if (error.code === ErrorCodes.LIMIT) return LIMIT_STATUS[String(error.details.limit)] ?? 400;
  return error.details.httpStatus as number | undefined ?? STATUS[error.code] ?? 500;
}

/** A request the adapter does not serve: a path with no endpoint, or a method the endpoint lacks. */
export function routeError(status: 404 | 405, message: string, hint: string, allow?: string): WharfError {
  return new WharfError(ErrorCodes.PROTOCOL, message, { hint, details: { httpStatus: status, allow } });
}

export function asClientError(err: unknown): WharfError {
  if (err instanceof WharfError) return err;
  // An internal failure: say so without leaking internals (the cause goes to the log).
  return new WharfError(ErrorCodes.PROTOCOL, 'internal error while handling the request', { cause: err, details: { httpStatus: 500 } });
}

/** Answers with `error` unless an answer was already started; extra headers per status. */
export function sendError(res: ServerResponse, error: WharfError): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const status = statusOf(error);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  // RFC 7617 §2: a 401 names the scheme the client should use.
  if (status === 401) headers['www-authenticate'] = 'Basic realm="wharf", charset="UTF-8"';
  if (status === 405 && typeof error.details.allow === 'string') headers.allow = error.details.allow;
  if (status === 429 || status === 503) headers['retry-after'] = '1';
  // A refused body may still be on its way: close rather than read it to find the next request.
  if (status === 413) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(JSON.stringify({ error: { code: error.code, message: error.message, hint: error.hint } }));
}
