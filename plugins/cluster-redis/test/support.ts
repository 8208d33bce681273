/** What the cluster-redis tests share: brokers with the plugin loaded by path, captured logs, waits. */
import { createConnection } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { Broker, createLogger } from '@wharf/core';
import { ClusterTokens, type ClusterNode } from '../src/index.js';

/** The package folder, as a config names a plugin by path. */
export const PLUGIN_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Each test its own key prefix, so tests sharing one Redis never see each other's nodes. */
export function freshPrefix(): string {
  return `t${randomBytes(5).toString('hex')}`;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export class LogCapture {
  readonly lines: LogLine[] = [];
  readonly logger = createLogger('debug', new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString().split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line) as LogLine);
      done();
    },
  }));

  matching(pattern: RegExp): LogLine[] {
    return this.lines.filter((line) => pattern.test(line.msg));
  }
}

export interface ClusterOptions {
  readonly url: string;
  readonly prefix: string;
  readonly nodeId?: string;
  readonly leaseMs?: number;
  /** Also load STOMP and open a listener on 127.0.0.1, port 0. */
  readonly stomp?: boolean;
}

export interface TestBroker {
  readonly broker: Broker;
  readonly node: ClusterNode;
  readonly logs: LogCapture;
}

/** A broker whose config loads the plugin by path; not started. */
export async function clusterBroker({ stomp = false, ...options }: ClusterOptions): Promise<TestBroker> {
  const logs = new LogCapture();
  const broker = await Broker.create(
    {
      plugins: [{ use: PLUGIN_DIR, options: { leaseMs: 1500, ...options } }, ...(stomp ? ['@wharf/protocol-stomp'] : [])],
      routing: { rules: [], prefixes: {}, fallback: 'reject' },
      ...(stomp ? { listeners: [{ protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port: 0 }] } : {}),
    },
    { logger: logs.logger },
  );
  return { broker, node: broker.container.resolve(ClusterTokens.Node), logs };
}

/** Waits until the condition holds (polled every 20 ms); the mocha timeout bounds it. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Resolves with the next `event` of the node. */
export function next<E extends 'node-up' | 'node-down' | 'lease-lost'>(node: ClusterNode, event: E): Promise<unknown> {
  return new Promise((resolve) => (node as unknown as NodeJS.EventEmitter).once(event, (...args: unknown[]) => resolve(args[0])));
}

/** CONNECTs a raw STOMP 1.2 client and returns the `session` header of CONNECTED. */
export function stompSession(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let text = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write('CONNECT\naccept-version:1.2\nhost:wharf\n\n\0'));
    socket.on('data', (chunk) => {
      text += chunk.toString();
      if (!text.includes('\0')) return;
      socket.destroy();
      const session = /\nsession:([^\n]+)\n/.exec(text)?.[1];
      if (text.startsWith('CONNECTED') && session !== undefined) resolve(session);
      else reject(new Error(`no session in ${JSON.stringify(text)}`));
    });
  });
}
