/** A raw TCP conversation with the broker: write bytes, collect every line until the server closes. */
import { connect } from 'node:net';

export interface Conversation {
  readonly lines: Array<Record<string, unknown>>;
  /** False when the server had not closed the connection within the timeout. */
  readonly closed: boolean;
}

export function converse(port: number, input: string | Buffer, timeoutMs = 3000): Promise<Conversation> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const finish = (closed: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      const lines = text.split('\n').filter((l) => l.length > 0).map((l) => JSON.parse(l) as Record<string, unknown>);
      resolve({ lines, closed });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('utf8'); });
    socket.on('error', () => undefined);
    socket.once('close', () => finish(true));
    socket.write(input);
  });
}

export const line = (request: Record<string, unknown>): string => JSON.stringify(request) + '\n';
export const CONNECT = line({ op: 'connect' });
