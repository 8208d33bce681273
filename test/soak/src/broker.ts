/**
 * The broker under test: `node cli/bin/wharf.js start --config <generated>` as a child process,
 * STOMP over TCP on 127.0.0.1 (clients bound to 127.0.0.2 and 127.0.0.3 reach it over loopback),
 * the SQLite store in a folder the attack chooses (a tmpfs for the disk-full attack). It can be
 * killed with any signal and started again on the same port and file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup } from './cleanup.js';

/** The monorepo root: this file is test/soak/dist/broker.js. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const WHARF = join(REPO_ROOT, 'cli/bin/wharf.js');

export interface BrokerSpec {
  /** Where the config (and, unless `dbFile` says otherwise, the SQLite file) goes. */
  readonly dir: string;
  readonly dbFile?: string;
  /** Merged into the STOMP listener's `options` (plugins/protocol-stomp/src/options.ts). */
  readonly listenerOptions?: Record<string, unknown>;
  /** Merged into the config's `limits` (core/src/config/schema.ts). */
  readonly limits?: Record<string, unknown>;
}

/** A free port on 127.0.0.1 right now (the broker binds it a moment later, and again after each restart). */
async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => ok(port));
    });
  });
}

export function brokerConfig(port: number, spec: BrokerSpec): Record<string, unknown> {
  return {
    plugins: [
      '@wharf/queue-queue', '@wharf/queue-topic', '@wharf/queue-pubsub', '@wharf/queue-command', '@wharf/protocol-stomp',
      { use: '@wharf/store-sqlite', options: { path: spec.dbFile ?? join(spec.dir, 'wharf.db') } },
    ],
    listeners: [{ protocol: 'stomp', transport: 'tcp', host: '127.0.0.1', port, options: { ...spec.listenerOptions } }],
    store: { use: 'sqlite' },
    limits: { ...spec.limits },
    log: { level: 'warn' },
  };
}

export class SoakBroker {
  private child: ChildProcess | undefined;
  private lines: string[] = [];
  /** Starts the broker process has made (the first one included). */
  starts = 0;

  private constructor(readonly port: number, private readonly configFile: string) {}

  /** Writes the config and starts the broker; resolves once it accepts connections. */
  static async start(spec: BrokerSpec): Promise<SoakBroker> {
    const port = await freePort();
    const configFile = join(spec.dir, 'wharf.config.json');
    writeFileSync(configFile, `${JSON.stringify(brokerConfig(port, spec), null, 2)}\n`);
    const broker = new SoakBroker(port, configFile);
    await broker.launch();
    return broker;
  }

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The broker's last lines of output since it was last started, without JSON logs and stack frames, for error messages. */
  output(): string {
    return this.lines.filter((l) => !l.startsWith('{') && !/^\s+at /.test(l)).slice(-6).join('\n');
  }

  /** Starts it again (same port, same file) after a stop; resolves once it accepts connections. */
  async launch(timeoutMs = 30000): Promise<void> {
    if (this.running) throw new Error('the broker is already running');
    const child = spawn(process.execPath, [WHARF, 'start', '--config', this.configFile], {
      stdio: ['ignore', 'pipe', 'pipe'], cwd: dirname(this.configFile),
    });
    this.child = child;
    const forget = onCleanup(() => child.kill('SIGKILL'));
    child.once('exit', forget);
    this.lines = [];
    this.starts++;
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) this.lines.push(line);
      if (this.lines.length > 40) this.lines.splice(0, this.lines.length - 40);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await this.waitListening(child, timeoutMs);
  }

  /** Sends the signal and waits for the process to exit (SIGTERM that takes too long becomes SIGKILL). */
  async kill(signal: 'SIGKILL' | 'SIGTERM', graceMs = 15000): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  private async waitListening(child: ChildProcess, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the broker exited (${child.exitCode ?? child.signalCode}) before listening on ${this.port}:\n${this.output()}`);
      }
      const up = await new Promise<boolean>((done) => {
        const probe = net.connect(this.port, '127.0.0.1');
        probe.once('connect', () => { probe.destroy(); done(true); });
        probe.once('error', () => done(false));
      });
      if (up) return;
      if (Date.now() > deadline) throw new Error(`the broker did not listen on ${this.port} within ${timeoutMs} ms:\n${this.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
