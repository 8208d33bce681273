/**
 * A full disk (disk-space.ts; docs/durability.md, "When the store fails"): a write with no room is
 * refused with the disk-full error and leaves nothing behind, removals still go in, the store takes
 * writes again once there is room (no reopen), drained queues give their space back, and a file
 * opens on a full disk. The first tests make the file "full" with SQLite's max_page_count; the
 * last ones run on a real 4 MiB tmpfs, which needs root (CI runs as root): there, a disk another
 * file filled completely still takes the horizons, the clean marker and removals (the ballast,
 * ballast.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statfsSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger, type Message, type StoreOp, type WharfError } from '@wharf/core';
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
    rmSync(join(mountPoint, 'filler-2'), { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  /** Takes every free block of the tmpfs (with `name`, the filler's file name). */
  function fillDisk(name = 'filler'): void {
    const file = join(mountPoint, name);
    const chunk = Buffer.alloc(64 * 1024);
    rmSync(file, { force: true });
    try {
      for (;;) writeFileSync(file, chunk, { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    }
    try {
      for (;;) writeFileSync(file, Buffer.alloc(512), { flag: 'a' });
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

  const free = (): number => {
    const fs = statfsSync(mountPoint);
    return fs.bavail * fs.bsize;
  };
  const BALLAST = 256 * 1024; // a sixteenth of the 4 MiB disk
  const recordOps = (horizon: string, clean: boolean): StoreOp[] => [
    { op: 'horizon', destination: Q, horizon },
    { op: 'clean', clean },
  ];

  it('on a disk another file filled completely: releases its ballast so that horizons, the clean marker and removals commit, refuses appends, and writes the ballast again once there is room', async () => {
    store = new SqliteStore({ path: path() });
    await store.setup();
    const ballast = store.ballastPath!;
    expect(statSync(ballast).size, 'the ballast, written at setup').to.equal(BALLAST);
    await store.write([append(big(1)), append(big(2))]);
    // A WAL with no blocks left to reuse: the next commit must take new ones from the disk.
    store.database!.pragma('wal_checkpoint(TRUNCATE)');
    fillDisk();
    expect(free(), 'the disk is full').to.be.lessThan(4096);
    await store.write([...recordOps('h1', false), remove('msg-1')]);
    expect(existsSync(ballast), 'the ballast is released').to.equal(false);
    expect(await store.recovery()).to.deep.equal({ clean: false, horizons: new Map([[Q, 'h1']]) });
    expect((await replayAll(store, Q)).map((s) => s.message.id)).to.deep.equal(['msg-2']);
    expectDiskFull((await rejection(store.write([append(big(3))])))!);
    // More small writes go into the room the ballast gave back (checkpointed as they go).
    for (let n = 0; n < 20; n++) await store.write(recordOps(`h${n + 2}`, n % 2 === 0));
    expectDiskFull((await rejection(store.write([append(big(3))])))!);
    rmSync(filler());
    await writeWhenRoom(store, [append(big(3))]);
    expect(statSync(ballast).size, 'the ballast is back').to.equal(BALLAST);
    expect((await replayAll(store, Q)).map((s) => s.message.id)).to.deep.equal(['msg-2', 'msg-3']);
  });

  it('restarted on a full disk, releases the ballast an earlier run left, so that the start\'s records commit', async () => {
    store = new SqliteStore({ path: path() });
    await store.setup();
    await store.write([append(big(1)), ...recordOps('before', true)]);
    await store.close(); // the WAL goes: the next start needs new blocks for it
    const ballast = `${path()}-reserve`;
    expect(statSync(ballast).size, 'kept across restarts').to.equal(BALLAST);
    fillDisk();
    store = new SqliteStore({ path: path() });
    await store.setup();
    expect(existsSync(ballast), 'released at setup').to.equal(false);
    await store.write(recordOps('after', false));
    expect(await store.recovery()).to.deep.equal({ clean: false, horizons: new Map([[Q, 'after']]) });
    expectDiskFull((await rejection(store.write([append(big(2))])))!);
    await store.write([remove('msg-1')]);
    expect(await replayAll(store, Q)).to.deep.equal([]);
    rmSync(filler());
    await writeWhenRoom(store, [append(big(2))]);
    expect(statSync(ballast).size, 'the ballast is back').to.equal(BALLAST);
  });

  it('says once, clearly, when the disk is so full that even the released ballast is not enough, and goes on when there is room', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(chunk.toString()); cb(); } });
    store = new SqliteStore({ path: path(), logger: createLogger('info', sink) });
    await store.setup();
    await store.write([append(big(1))]);
    store.database!.pragma('wal_checkpoint(TRUNCATE)');
    fillDisk();
    await store.write(recordOps('h1', false)); // the ballast is released for it
    store.database!.pragma('wal_checkpoint(TRUNCATE)');
    fillDisk('filler-2'); // and another file takes its room too
    for (let n = 0; n < 3; n++) expectDiskFull((await rejection(store.write(recordOps(`stuck${n}`, false))))!);
    const stuck = lines.filter((l) => l.includes('the reserve file is used up'));
    expect(stuck, 'logged once').to.have.length(1);
    expect(stuck[0]).to.match(/deliveries of stored messages wait until there is room/);
    expect((await store.recovery()).horizons.get(Q), 'what did not commit is not there').to.equal('h1');
    rmSync(join(mountPoint, 'filler-2'));
    await store.write(recordOps('h2', false));
    expect((await store.recovery()).horizons.get(Q)).to.equal('h2');
    expect(lines.some((l) => l.includes('writes go in again'))).to.equal(true);
  });
});
