/**
 * The servers a benchmark drives, each a child process: the null server (generator ceiling), the
 * bare relay (the reference), Wharf (`node cli/bin/wharf.js start --config <temp>`) and optionally
 * RabbitMQ with its STOMP plugin. All listen on 127.0.0.1 only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The monorepo root: this file is test/bench/dist/targets.js. */
export const REPO_ROOT = resolve(here, '../../..');

/** `wharf-1tx`: Wharf with its durable store writing one transaction per message (`store.groupCommit: false`). */
export type TargetKind = 'null' | 'relay' | 'wharf' | 'wharf-1tx' | 'rabbitmq';

export interface TargetOptions {
  /** Configure Wharf with a durable store (the durable scenario). */
  readonly durable?: boolean;
  /** Write a CPU profile of the Wharf process into this folder (`node --cpu-prof`). */
  readonly cpuProfileDir?: string;
  /** Raise listener limits for this many connections. */
  readonly connections?: number;
  /** Wharf's `limits.memoryHighWaterMark`, bytes (flow control); unset: Wharf's default. */
  readonly memoryHighWaterMark?: number;
  /** Durable store with one transaction per message (`store.groupCommit: false`). */
  readonly perMessageCommit?: boolean;
}

export interface Target {
  readonly kind: TargetKind;
  readonly port: number;
  readonly pid: number;
  /** Login headers this server needs in CONNECT. */
  readonly login?: { readonly login: string; readonly passcode: string };
  /** Resident memory of the server (its process tree), in bytes. */
  rss(): number;
  /** CPU time the server (its process tree) used so far, in ms. */
  cpuMs(): number;
  stop(): Promise<void>;
}

/** Why Wharf cannot run the durable scenario yet, or undefined when it can. */
export function durableUnavailable(): string | undefined {
  const dir = join(REPO_ROOT, 'plugins/store-sqlite');
  if (!existsSync(join(dir, 'package.json'))) return 'Wharf has no durable store yet (plugins/store-sqlite does not exist)';
  if (!existsSync(join(dir, 'dist/src/index.js'))) return 'plugins/store-sqlite is not built (dist/src/index.js missing): run npm run build';
  return undefined;
}

/** A port free right now on 127.0.0.1 (the server binds it a moment later). */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => ok(port));
    });
  });
}

/** VmRSS of a process and its descendants, in bytes (0 once it is gone). */
export function rssOfTree(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const status = readFileSync(`/proc/${p}/status`, 'latin1');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      if (m) total += Number(m[1]) * 1024;
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'latin1').trim();
        if (children) for (const c of children.split(/\s+/)) stack.push(Number(c));
      }
    } catch {
      // gone
    }
  }
  return total;
}

/** CPU time (user + system) of a process and its descendants so far, in ms (from /proc/<pid>/stat). */
export function cpuMsOfTree(pid: number): number {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'latin1');
      // Fields after the command name "(...)": utime and stime are the 14th and 15th fields of the line.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const task of readdirSync(`/proc/${p}/task`)) {
        const children = readFileSync(`/proc/${p}/task/${task}/children`, 'latin1').trim();
        if (children) for (const c of children.split(/\s+/)) stack.push(Number(c));
      }
    } catch {
      // gone
    }
  }
  return ticks * (1000 / CLOCK_TICKS);
}

/** USER_HZ: 100 on every Linux this runs on. */
const CLOCK_TICKS = 100;

/** Keeps the last lines a child printed, for error messages. */
function tail(child: ChildProcess): () => string {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(line);
    if (lines.length > 30) lines.splice(0, lines.length - 30);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((ok) => {
    if (child.exitCode !== null || child.signalCode !== null) ok();
    else child.once('exit', () => ok());
  });
}

async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(timer);
}

/** Resolves once something accepts TCP connections on the port; fails if the child exits first. */
async function waitForPort(port: number, child: ChildProcess, what: string, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${output()}`);
    }
    const ok = await new Promise<boolean>((done) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); done(true); });
      s.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts one of the bench's own servers (dist/servers/<name>.js); it prints "listening <port>". */
async function startOwn(kind: 'null' | 'relay'): Promise<Target> {
  const script = join(here, 'servers', kind === 'null' ? 'null-server.js' : 'relay.js');
  const child = spawn(process.execPath, [script, '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const output = tail(child);
  const port = await new Promise<number>((ok, fail) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const m = /listening (\d+)/.exec(text);
      if (m) { child.stdout!.off('data', onData); ok(Number(m[1])); }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`the ${kind} server exited (${code}) before listening:\n${output()}`)));
  });
  const pid = child.pid!;
  return { kind, port, pid, rss: () => rssOfTree(pid), cpuMs: () => cpuMsOfTree(pid), stop: () => stopChild(child) };
}

/** The Wharf config for a bench run: STOMP on 127.0.0.1:<port>, /queue/ -> queue, /topic/ -> topic. */
export function wharfConfig(port: number, options: TargetOptions & { dbFile?: string }): Record<string, unknown> {
  const plugins: unknown[] = ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/protocol-stomp'];
  // The durable target is with synchronous=FULL (fsync on every commit).
  if (options.durable) plugins.push({ use: '@wharf/store-sqlite', options: { path: options.dbFile, synchronous: 'FULL' } });
  const listener: Record<string, unknown> = { protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port };
  if (options.connections !== undefined) listener['options'] = { maxConnections: Math.max(10000, options.connections + 100) };
  return {
    plugins,
    listeners: [listener],
    // Topics block (producer flow control) instead of disconnecting a subscriber that falls 1,000
    // messages behind (the default): the exactly-once check wants every subscriber to get
    // everything, as the relay and RabbitMQ (a queue per subscriber) give it. See docs/performance.md.
    routing: {
      rules: [{ match: '^/topic/', type: 'topic', options: { slowSubscriberPolicy: 'block' } }],
      prefixes: { '/queue/': 'queue', '/topic/': 'topic' },
      fallback: 'topic',
    },
    ...(options.durable ? { store: { use: 'sqlite', ...(options.perMessageCommit ? { groupCommit: false } : {}) } } : {}),
    ...(options.memoryHighWaterMark !== undefined ? { limits: { memoryHighWaterMark: options.memoryHighWaterMark } } : {}),
    log: { level: 'warn' },
  };
}

async function startWharf(options: TargetOptions, kind: 'wharf' | 'wharf-1tx' = 'wharf'): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-'));
  const port = await freePort();
  const configFile = join(dir, 'wharf.config.yaml');
  // JSON is YAML: the file is read by Wharf's YAML loader, with its line numbers in any error.
  writeFileSync(configFile, JSON.stringify(wharfConfig(port, { ...options, dbFile: join(dir, 'wharf.db') }), null, 2) + '\n');
  const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
  const child = spawn(process.execPath, [...nodeArgs, join(REPO_ROOT, 'cli/bin/wharf.js'), 'start', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: dir,
  });
  const output = tail(child);
  try {
    await waitForPort(port, child, 'Wharf', output, 20000);
  } catch (err) {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid!;
  return {
    kind, port, pid,
    rss: () => rssOfTree(pid), cpuMs: () => cpuMsOfTree(pid),
    stop: async () => {
      await stopChild(child, 10000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where Debian's rabbitmq-server is, or undefined. */
export function findRabbitmq(): string | undefined {
  // The script itself first: Debian's /usr/sbin wrapper switches to the rabbitmq user, who cannot
  // write into our temporary (0700) folder.
  for (const candidate of ['/usr/lib/rabbitmq/bin/rabbitmq-server', '/usr/sbin/rabbitmq-server', '/usr/local/sbin/rabbitmq-server']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v rabbitmq-server'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : undefined;
}

/**
 * RabbitMQ with the STOMP plugin, in its own temporary node (name, data, logs, plugins file),
 * STOMP on 127.0.0.1:<free port>, AMQP on another free port, user guest/guest (loopback only).
 */
async function startRabbitmq(): Promise<Target> {
  const server = findRabbitmq();
  if (server === undefined) throw new Error('rabbitmq-server is not installed (Debian: apt-get install rabbitmq-server)');
  const dir = mkdtempSync(join(tmpdir(), 'wharf-bench-rabbit-'));
  const [stompPort, amqpPort, distPort] = [await freePort(), await freePort(), await freePort()];
  // RabbitMQ creates neither folder itself (it fails with failed_to_create_feature_flags_file_directory).
  for (const sub of ['mnesia', 'log']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'enabled_plugins'), '[rabbitmq_stomp].\n');
  writeFileSync(join(dir, 'rabbitmq.conf'), [
    `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
    `stomp.listeners.tcp.1 = 127.0.0.1:${stompPort}`,
    'stomp.default_user = guest',
    'stomp.default_pass = guest',
    'loopback_users.guest = true',
    'log.console = true',
    'log.console.level = warning',
    '',
  ].join('\n'));
  const env = {
    ...process.env,
    RABBITMQ_NODENAME: `wharfbench${process.pid}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(amqpPort),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_FEATURE_FLAGS_FILE: join(dir, 'mnesia', 'feature_flags'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
  };
  const child = spawn(server, [], { stdio: ['ignore', 'pipe', 'pipe'], env, cwd: dir });
  const output = tail(child);
  try {
    await waitForPort(stompPort, child, 'RabbitMQ', output, 60000);
  } catch (err) {
    await stopChild(child, 15000);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid!;
  return {
    kind: 'rabbitmq', port: stompPort, pid, login: { login: 'guest', passcode: 'guest' },
    rss: () => rssOfTree(pid), cpuMs: () => cpuMsOfTree(pid),
    stop: async () => {
      await stopChild(child, 15000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startTarget(kind: TargetKind, options: TargetOptions = {}): Promise<Target> {
  switch (kind) {
    case 'null':
    case 'relay':
      return startOwn(kind);
    case 'wharf':
      return startWharf(options);
    case 'wharf-1tx':
      return startWharf({ ...options, durable: true, perMessageCommit: true }, 'wharf-1tx');
    case 'rabbitmq':
      return startRabbitmq();
  }
}
