/**
 * A full disk (disk-space.ts; docs/durability.md, "When the store fails"): a write with no room is
 * refused with the disk-full error and leaves nothing behind, removals still go in, the store takes
 * writes again once there is room (no reopen), drained queues give their space back, and a file
 * opens on a full disk. The first tests make the file "full" with SQLite's max_page_count; the
 * last ones run on a real 4 MiB tmpfs, which needs root (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { Message, StoreOp, WharfError } from '@wharf/core';
import { replayAll, storeMessage } from '@wharf/testkit';
import { SqliteStore } from '../src/index.js';

const Q = '/queue/disk';
const append = (message: Message): StoreOp => ({ op: 'append', destination: Q, message });
const remove = (id: string): StoreOp => ({ op: 'remove', destination: Q, id });
const big = (n: number): Message => storeMessage(n, { destination: Q, body: Buffer.alloc(2000, n % 256) });

async function rejection(pending: Promise<unknown>): Promise<WharfError | undefined> {
  try {
    await pending;
    return undefined;
  } catch (err) {
    return err as WharfError;
  }
}

/** Writes `ops` until it commits (the store tries a full disk again after a short while), at most `ms`. */
async function writeWhenRoom(store: SqliteStore, ops: StoreOp[], ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const err = await rejection(store.write(ops));
    if (err === undefined) return;
    if (Date.now() > until) throw err;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Appends one message a batch until the store refuses one; returns the ids stored and the refusal. */
async function fill(store: SqliteStore, from = 0, limit = 100_000): Promise<{ ids: string[]; error: WharfError }> {
  const ids: string[] = [];
  for (let n = from; n < from + limit; n++) {
    const message = big(n);
    const error = await rejection(store.write([append(message)]));
    if (error !== undefined) return { ids, error };
    ids.push(message.id);
  }
  throw new Error(`the store took ${limit} messages and never got full`);
}

function expectDiskFull(error: WharfError): void {
  expect(error.code).to.equal('WHARF_ERR_STORE');
  expect(error.message).to.match(/the disk is full/);
  expect(error.hint).to.match(/free space/);
}

describe('sqlite store: a full file (max_page_count)', () => {
  let dir: string;
  let store: SqliteStore;
  const path = (): string => join(dir, 'wharf.db');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-full-'));
    store = new SqliteStore({ path: path() });
    await store.setup();
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses the write with the disk-full error, keeps none of it, and takes it once there is room, without a reopen', async () => {
    const db = store.database!;
    db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 30}`);
    const { ids, error } = await fill(store);
    expectDiskFull(error);
    expect(ids.length).to.be.greaterThan(0);
    const refused = big(ids.length);
    expect(await rejection(store.write([append(refused)]))).to.not.equal(undefined);
    db.pragma('max_page_count = 1000000');
    await writeWhenRoom(store, [append(refused)]);
    await store.close();
    store = new SqliteStore({ path: path() });
    await store.setup();
    const stored = (await replayAll(store, Q)).map((s) => s.message.id);
    expect(stored).to.deep.equal([...ids, refused.id]); // in order, each once
  });

  it('writes removals while appends are refused, and the room they free takes appends again', async () => {
    const db = store.database!;
    db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 30}`);
    const { ids, error } = await fill(store);
    expectDiskFull(error);
    // At once after the refusal (appends would be refused without a try): removals go in.
    await store.write(ids.map(remove));
    expect(await replayAll(store, Q)).to.have.length(0);
    // The file's pages freed by the removals hold new messages: twice as many as filled it.
    for (let n = 0; n < ids.length * 2; n++) {
      const message = big(100_000 + n);
      await writeWhenRoom(store, [append(message)]);
      await store.write([remove(message.id)]);
    }
  });

  it('opens a file of its own format without writing to it', async () => {
    await store.write([append(big(1))]);
    await store.close();
    store = new SqliteStore({ path: path() });
    await store.setup();
    const wal = `${path()}-wal`;
    expect(existsSync(wal) ? statSync(wal).size : 0).to.equal(0);
    expect(await replayAll(store, Q)).to.have.length(1);
  });
});

describe('sqlite store: a full disk (a 4 MiB tmpfs)', function () {
  let mountPoint: string;
  let dir: string;
  let store: SqliteStore | undefined;
  const path = (): string => join(dir, 'wharf.db');
  const filler = (): string => join(mountPoint, 'filler');

  before(function () {
    if (process.getuid?.() !== 0) {
      // Mounting a tmpfs needs root; CI runs as root.
      this.skip();
    }
    mountPoint = mkdtempSync(join(tmpdir(), 'wharf-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
  });
  after(() => {
    if (mountPoint === undefined) return;
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });
  beforeEach(() => {
    dir = join(mountPoint, `store-${Date.now()}`);
    mkdirSync(dir);
  });
  afterEach(async () => {
    await store?.close();
    store = undefined;
    rmSync(filler(), { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Takes every free block of the tmpfs. */
  function fillDisk(): void {
    const chunk = Buffer.alloc(64 * 1024);
    rmSync(filler(), { force: true });
    try {
      for (;;) writeFileSync(filler(), chunk, { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
    try {
      for (;;) writeFileSync(filler(), Buffer.alloc(512), { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
  }

  it('gives drained queues\' space back: the disk does not refill with every queue empty', async () => {
    store = new SqliteStore({ path: path() });
    await store.setup();
    const { ids, error } = await fill(store);
    expectDiskFull(error);
    const walAtFull = statSync(`${path()}-wal`).size;
    await store.write(ids.map(remove));
    // 4 times what filled the disk goes through (each message removed after it is stored).
    for (let n = 0; n < ids.length * 4; n++) {
      const message = big(200_000 + n);
      await store.write([append(message)]);
      await store.write([remove(message.id)]);
    }
    expect(statSync(`${path()}-wal`).size).to.be.lessThan(walAtFull);
  });

  it('refuses big batches before they fill the disk, so the removals of a full store always go in', async () => {
    store = new SqliteStore({ path: path() });
    await store.setup();
    let n = 0;
    for (let round = 0; round < 3; round++) {
      const ids: string[] = [];
      for (let refusals = 0; refusals < 3;) {
        const batch = Array.from({ length: 400 }, () => big(n++)); // about 800 KB a batch, on a 4 MiB disk
        const error = await rejection(store.write(batch.map(append)));
        if (error === undefined) ids.push(...batch.map((m) => m.id));
        else {
          expectDiskFull(error);
          refusals++;
        }
      }
      expect(ids.length, `round ${round}: stored before the disk was full`).to.be.greaterThan(0);
      await store.write(ids.map(remove));
      expect(await replayAll(store, Q)).to.have.length(0);
    }
  });

  it('opens its file on a full disk, refuses appends, and takes them once there is room', async () => {
    store = new SqliteStore({ path: path() });
    await store.setup();
    await store.write([append(big(1)), append(big(2))]);
    await store.close();
    fillDisk();
    store = new SqliteStore({ path: path() });
    await store.setup();
    expect((await replayAll(store, Q)).map((s) => s.message.id)).to.deep.equal(['msg-1', 'msg-2']);
    expectDiskFull((await rejection(store.write([append(big(3))])))!);
    rmSync(filler());
    await writeWhenRoom(store, [append(big(3))]);
    expect((await replayAll(store, Q)).map((s) => s.message.id)).to.deep.equal(['msg-1', 'msg-2', 'msg-3']);
  });

  it('starts a new store on a full disk empty, and creates its file once there is room', async () => {
    fillDisk();
    store = new SqliteStore({ path: path() });
    await store.setup();
    expect(await store.destinations()).to.deep.equal([]);
    expect(await replayAll(store, Q)).to.deep.equal([]);
    expectDiskFull((await rejection(store.write([append(big(1))])))!);
    rmSync(filler());
    await writeWhenRoom(store, [append(big(1))]);
    expect((await replayAll(store, Q)).map((s) => s.message.id)).to.deep.equal(['msg-1']);
  });
});
