/**
 * A real `redis-server` for tests of the cluster plugin (issue 16): spawned on 127.0.0.1 and a free
 * port, in a folder of its own, and ready (answering PING) when the promise resolves. Tests that
 * must hurt Redis (kill it, SIGSTOP it, restart it with its AOF) start their own; everything else
 * shares one through `testRedisUrl()` (CI's, from WHARF_REDIS_URL, or one started for the run).
 *
 * A missing binary is an error that says how to install it, never a skip: a suite that skipped
 * its Redis tests would pass while testing nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCodes, WharfError } from '@wharf/core';

export interface RedisServerOptions {
  /** Keep an append-only file (`appendonly yes`, `appendfsync always`), so restart() keeps data. Default false. */
  readonly appendonly?: boolean;
  /** The server's working folder (AOF and RDB files). Default: a new temporary folder. */
  readonly dir?: string;
  /** Default: a free ephemeral port. */
  readonly port?: number;
}

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The current process's pid (a restart() makes a new one). */
  readonly pid: number;
  /** SIGTERM and wait until it exited (a no-op when it is not running). */
  stop(): Promise<void>;
  /** Sends a signal (default SIGKILL) and, for a killing signal, waits until it exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGSTOP: the socket stays open and nothing is answered, as a hung server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Stops it (if running) and starts it again on the same port and folder, ready when resolved. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;
const MISSING_HINT = 'install redis-server (Debian: apt-get install redis-server), or set WHARF_REDIS_URL to a Redis 7 server';

/** Starts a redis-server; resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'wharf-redis-'));
  const port = options.port ?? (await freePort());
  let child = await spawnReady(port, dir, options.appendonly === true);
  const exited = (c: ChildProcess): boolean => c.exitCode !== null || c.signalCode !== null;
  const waitExit = (c: ChildProcess): Promise<void> =>
    exited(c) ? Promise.resolve() : new Promise((resolve) => c.once('exit', () => resolve()));
  const server: RedisServer = {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    get pid() {
      return child.pid ?? -1;
    },
    async stop() {
      if (exited(child)) return;
      child.kill('SIGCONT'); // a paused server cannot act on SIGTERM
      child.kill('SIGTERM');
      await waitExit(child);
    },
    async kill(signal = 'SIGKILL') {
      if (exited(child)) return;
      child.kill(signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') await waitExit(child);
    },
    pause() {
      child.kill('SIGSTOP');
    },
    resume() {
      child.kill('SIGCONT');
    },
    async restart() {
      await server.stop();
      child = await spawnReady(port, dir, options.appendonly === true);
    },
  };
  return server;
}

let shared: Promise<string> | undefined;

/** Every server this process started and that still runs: killed when the process exits. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * The Redis the tests share: WHARF_REDIS_URL when set (CI starts one), else a server started once
 * for this process and killed when it exits. Tests keep apart by key prefix, never by FLUSHALL.
 */
export function testRedisUrl(): Promise<string> {
  const fromEnv = process.env['WHARF_REDIS_URL'];
  if (fromEnv !== undefined && fromEnv !== '') return Promise.resolve(fromEnv);
  shared ??= startRedisServer().then((server) => server.url);
  return shared;
}

async function spawnReady(port: number, dir: string, appendonly: boolean): Promise<ChildProcess> {
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--save', '',
    '--daemonize', 'no',
    '--appendonly', appendonly ? 'yes' : 'no',
    '--appendfsync', 'always',
    '--loglevel', 'warning',
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'ENOENT'
        ? new WharfError(ErrorCodes.CONFIG, 'redis-server was not found on the PATH: the Redis tests need a real Redis 7', { hint: MISSING_HINT })
        : err);
    });
    child.once('exit', (code, signal) => {
      reject(new Error(`redis-server on port ${port} exited (${signal ?? `code ${code}`}) before answering PING: ${output.trim()}`));
    });
  });
  failed.catch(() => undefined);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    const answered = await Promise.race([ping(port), failed]);
    if (answered) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server on port ${port} did not answer PING within ${READY_TIMEOUT_MS} ms: ${output.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.removeAllListeners('exit');
  child.removeAllListeners('error');
  child.on('error', () => undefined);
  // The server must not keep a test process alive, nor outlive it.
  child.unref();
  (child.stdout as { unref?: () => void } | null)?.unref?.();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** True when a server on the port answers PING with PONG (RESP: `+PONG\r\n`). */
export function ping(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
