/**
 * Paging to disk (QueueContext.pager): a destination whose backlog passed its share of memory
 * writes held messages to a spill file and keeps only a small stub (id, size, place in the file)
 * for each, reading them back in order, many per read, before it delivers them. So a stuck
 * consumer costs disk, not memory (RabbitMQ's lazy queues and ActiveMQ's store cursors do the same).
 *
 * The spill file is a cache, not a store: persistent messages are in the durable store too and
 * come back from there after a restart, so the files of a broker are removed when it stops and
 * those a killed broker left behind when the next one starts. One directory per broker process
 * (`wharf-pages-<pid>-<random>` under `store.pageDirectory`, default the OS temp directory), one
 * file per destination, opened on its first page-out.
 *
 * Each file is used by one destination and its operations run one after another (a promise
 * chain), so a read always sees the writes asked for before it, and an emptied file (`reset`) is
 * truncated only after the I/O before it.
 *
 * A record is `[meta length: u32][body length: u32][meta: JSON of id, destination, timestamp,
 * persistent, headers][body]`; all integers little-endian.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCodes, WharfError } from '../errors.js';
import type { Message } from '../spi/message.js';
import type { PageRun, Pager } from '../spi/queue.js';

/** The default share of limits.memoryHighWaterMark a destination keeps in memory before it pages out. */
export const PAGE_OUT_SHARE = 0.1;
/** The smallest default page-out threshold. */
export const MIN_PAGE_OUT_BYTES = 1024 * 1024;

const PREFIX = 'wharf-pages-';
const RECORD_HEAD = 8;

/** The default page-out threshold for a memory high-watermark (docs/flow-control.md). */
export function defaultPageOutBytes(memoryHighWaterMark: number): number {
  return Math.max(MIN_PAGE_OUT_BYTES, Math.floor(PAGE_OUT_SHARE * memoryHighWaterMark));
}

/** The broker's page directory: hands each destination its Pager. */
export class PageDirectory {
  readonly path: string;
  private created = false;
  private counter = 0;
  private readonly files = new Set<SpillFile>();

  constructor(
    private readonly root: string | undefined,
    readonly pageOutBytes: number,
    private readonly logger: Logger,
  ) {
    this.path = join(root ?? tmpdir(), `${PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
  }

  /** Removes the page directories that brokers no longer running left under the root (a kill -9). */
  sweep(): void {
    const root = this.root ?? tmpdir();
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      return; // made on first page-out
    }
    for (const name of names) {
      const match = /^wharf-pages-(\d+)-[0-9a-f]+$/.exec(name);
      if (match === null || isRunning(Number(match[1]))) continue;
      rmSync(join(root, name), { recursive: true, force: true });
      this.logger.info({ directory: join(root, name) }, 'removed the page files of a broker that stopped without cleaning up');
    }
  }

  /** A destination's pager; its file is opened on the first write. */
  pagerFor(destination: string): Pager {
    const file = new SpillFile(this, destination, this.pageOutBytes);
    return file;
  }

  /** A file name for a new spill file (the directory is made on the first one). */
  newFile(file: SpillFile): string {
    if (!this.created) {
      mkdirSync(this.path, { recursive: true, mode: 0o700 });
      this.created = true;
    }
    this.files.add(file);
    return join(this.path, `${++this.counter}.pages`);
  }

  forget(file: SpillFile): void {
    this.files.delete(file);
  }

  /** The broker stops: every file closed and the directory removed. */
  async close(): Promise<void> {
    await Promise.all([...this.files].map((f) => f.closed()));
    if (this.created) rmSync(this.path, { recursive: true, force: true });
    this.created = false;
  }

  get log(): Logger {
    return this.logger;
  }
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true; // another broker of this process (tests, embedders): it removes its own at stop
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One destination's spill file. */
class SpillFile implements Pager {
  private handle: Promise<FileHandle> | undefined;
  private path: string | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  /** Where the next record goes. */
  private end = 0;
  private isClosed = false;

  constructor(
    private readonly directory: PageDirectory,
    private readonly destination: string,
    readonly pageOutBytes: number,
  ) {}

  write(messages: readonly Message[]): PageRun {
    const { buffer, offsets } = encode(messages, this.end);
    const start = this.end;
    this.end += buffer.length;
    const written = this.run(async (handle) => {
      let done = 0;
      while (done < buffer.length) {
        const { bytesWritten } = await handle.write(buffer, done, buffer.length - done, start + done);
        done += bytesWritten;
      }
    });
    return { offsets, end: this.end, written };
  }

  read(from: number, to: number): Promise<Message[]> {
    return this.run(async (handle) => {
      const buffer = Buffer.allocUnsafe(to - from);
      let done = 0;
      while (done < buffer.length) {
        const { bytesRead } = await handle.read(buffer, done, buffer.length - done, from + done);
        if (bytesRead === 0) throw new Error(`the spill file ends at ${from + done}, before ${to}`);
        done += bytesRead;
      }
      return decode(buffer);
    });
  }

  reset(): void {
    if (this.end === 0 || this.handle === undefined) return;
    this.end = 0;
    void this.run((handle) => handle.truncate(0)).catch(() => undefined);
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    const handle = this.handle;
    if (handle === undefined) return;
    this.chain = this.chain.catch(() => undefined).then(async () => {
      await (await handle).close();
      if (this.path !== undefined) rmSync(this.path, { force: true });
    }).catch((err: unknown) => this.directory.log.warn({ err, destination: this.destination }, 'closing a spill file failed'));
    this.chain.finally(() => this.directory.forget(this));
  }

  /** Resolves once the file is closed (the broker stops). */
  async closed(): Promise<void> {
    this.close();
    await this.chain;
  }

  /** Runs `op` after every operation asked for before it. */
  private run<T>(op: (handle: FileHandle) => Promise<T>): Promise<T> {
    if (this.isClosed) {
      return Promise.reject(new WharfError(ErrorCodes.CLOSED, `the spill file of ${this.destination} is closed`));
    }
    if (this.handle === undefined) {
      // Made on first use; a directory that cannot be made is this write's failure, never a throw.
      this.handle = (async () => open(this.path = this.directory.newFile(this), 'w+', 0o600))();
      this.handle.catch(() => undefined);
    }
    const handle = this.handle;
    const result = this.chain.catch(() => undefined).then(async () => op(await handle)).catch((err: unknown) => {
      throw err instanceof WharfError ? err : new WharfError(ErrorCodes.STORE, `paging ${this.destination} to disk failed: ${(err as Error).message}`, {
        cause: err, hint: `check the space and rights of the page directory ${this.directory.path} (store.pageDirectory)`,
      });
    });
    this.chain = result;
    return result;
  }
}

/** Records for `messages`, the first at `base`: one buffer, and each record's offset. */
function encode(messages: readonly Message[], base: number): { buffer: Buffer; offsets: number[] } {
  const metas: Buffer[] = [];
  let total = 0;
  for (const m of messages) {
    const meta = Buffer.from(JSON.stringify([m.id, m.destination, m.timestamp, m.persistent, m.headers]));
    metas.push(meta);
    total += RECORD_HEAD + meta.length + m.body.byteLength;
  }
  const buffer = Buffer.allocUnsafe(total);
  const offsets: number[] = [];
  let at = 0;
  for (let i = 0; i < messages.length; i++) {
    const meta = metas[i]!;
    const body = messages[i]!.body;
    offsets.push(base + at);
    buffer.writeUInt32LE(meta.length, at);
    buffer.writeUInt32LE(body.byteLength, at + 4);
    at += RECORD_HEAD;
    at += meta.copy(buffer, at);
    buffer.set(body, at);
    at += body.byteLength;
  }
  return { buffer, offsets };
}

function decode(buffer: Buffer): Message[] {
  const messages: Message[] = [];
  let at = 0;
  while (at < buffer.length) {
    const metaLength = buffer.readUInt32LE(at);
    const bodyLength = buffer.readUInt32LE(at + 4);
    at += RECORD_HEAD;
    const [id, destination, timestamp, persistent, headers] = JSON.parse(buffer.toString('utf8', at, at + metaLength)) as
      [string, string, number, boolean, Record<string, string>];
    at += metaLength;
    // A copy: the message may outlive the others of its read by far (NACKed again and again).
    const body = Buffer.from(buffer.subarray(at, at + bodyLength));
    at += bodyLength;
    messages.push({ id, destination, timestamp, persistent, headers, body });
  }
  return messages;
}
