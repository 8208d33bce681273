/** Reads a request body into one Buffer, refusing it as soon as it passes the limit. */
import type { IncomingMessage } from 'node:http';
import { limitError, protocolError } from './errors.js';

export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  // The client may have gone while its credentials were being checked.
  if (req.destroyed) return Promise.reject(protocolError('the client went away before its body ended'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes));
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) finish(limitError('maxBodyBytes', `the body is larger than ${maxBytes} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onClose = (): void => finish(protocolError('the client went away before its body ended'));
    // A body that trickles in would hold its session open: it has the idle time to arrive.
    const timer = setTimeout(() => finish(limitError('idleTimeoutMs', `the body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}
