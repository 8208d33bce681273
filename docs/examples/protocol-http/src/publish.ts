/**
 * POST /publish/<destination>: one session for the request — connect with its credentials, read
 * the body, send, answer 204, close. Flow control (SessionControl.pauseReading) holds the answer
 * back until the broker resumes the session: an HTTP client waits for its answer before its next
 * publish, so holding the answer is how a request/response protocol slows a producer down.
 */
import type { SessionControl } from '@wharf/core';
import { readBody } from './body.js';
import { limitError } from './errors.js';
import type { Exchange } from './exchange.js';
import { credentialsOf, messageHeadersOf, type Endpoint } from './request.js';

export async function publish(exchange: Exchange, endpoint: Extract<Endpoint, { op: 'publish' }>): Promise<void> {
  const { req, options } = exchange;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > options.maxBodyBytes) throw limitError('maxBodyBytes', `the body of ${declared} bytes is larger than ${options.maxBodyBytes}`);
  let paused = false;
  let resumed: (() => void) | undefined;
  const control: SessionControl = {
    close: (reason) => exchange.fail(reason),
    pauseReading: () => { paused = true; },
    resumeReading: () => {
      paused = false;
      resumed?.();
    },
  };
  const session = await exchange.broker.connect(credentialsOf(req), exchange.info, control);
  try {
    const body = await readBody(req, options.maxBodyBytes, options.idleTimeoutMs);
    // Resolves once the broker accepted the message: stored, for a persistent one.
    await session.send(endpoint.destination, { headers: messageHeadersOf(req), body, persistent: endpoint.persistent });
    if (paused) {
      await new Promise<void>((resolve) => {
        resumed = resolve;
        void exchange.finished.then(() => resolve());
      });
    }
    exchange.noContent();
  } finally {
    session.close('request answered');
  }
}
