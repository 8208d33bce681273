/**
 * Attack (issue 15, item 7): a full disk, over real STOMP connections, on a 4 MiB tmpfs the test
 * mounts. Durable sends get an ERROR saying the disk is full (never a RECEIPT) while plain traffic
 * flows; once space returns they get RECEIPTs again without a restart; queues drained after the
 * store filled the disk give the space back (the disk does not refill with every queue empty);
 * and a broker restarted on the full disk serves logins and plain traffic, restores its durable
 * messages, refuses durable sends, and recovers when space returns. docs/durability.md, "When the
 * store fails".
 *
 * The tests run in order on one broker (restarted by the last) and one disk. Mounting needs root:
 * not root, the suite is skipped with a message (CI runs as root).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { after, afterEach, before, describe, it } from 'mocha';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, waitFor, type RawFrame } from './helpers.js';

describe('e2e attack: a full disk', function () {
  this.timeout(30_000);
  let mountPoint: string | undefined;
  let e2e: E2eBroker | undefined;
  const tracker = new Tracker();
  const dbPath = (): string => join(mountPoint!, 'data', 'wharf.db');
  const filler = (): string => join(mountPoint!, 'filler');
  const BODY = Buffer.alloc(4096, 'd');

  const start = async (): Promise<E2eBroker> => {
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS, { use: '@wharf/store-sqlite', options: { path: dbPath() } }],
      store: { use: 'sqlite' },
    });
    return e2e;
  };
  const open = async (): Promise<RawConnection> => {
    const conn = await RawConnection.open(e2e!.tcpPort, tracker);
    conn.write(frame('CONNECT', { 'accept-version': '1.2', host: '/' }));
    await conn.waitFrame('CONNECTED');
    return conn;
  };
  /** One durable SEND with a receipt on a connection of its own: the RECEIPT, or the ERROR. */
  const sendDurable = async (destination: string, body: Buffer | string = BODY): Promise<RawFrame> => {
    const conn = await open();
    conn.write(frame('SEND', { destination, persistent: 'true', receipt: 'd' }, body));
    await waitFor(() => conn.frames.some((f) => f.command === 'RECEIPT' || f.command === 'ERROR'), 5000, 'a RECEIPT or an ERROR');
    const answer = conn.frames.find((f) => f.command === 'RECEIPT' || f.command === 'ERROR')!;
    conn.close();
    return answer;
  };
  const stored = async (queue: string): Promise<number> => {
    let n = 0;
    for await (const _ of e2e!.broker.durability!.store.replay(queue)) n++;
    return n;
  };
  /** Waits until the store holds nothing for `queue` (the removals of delivered messages are written). */
  const storeEmpties = async (queue: string): Promise<void> => {
    const until = Date.now() + 5000;
    while (await stored(queue) > 0) {
      if (Date.now() > until) throw new Error(`the store still holds messages of ${queue}: their removals were not written`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const expectDiskFullError = (answer: RawFrame): void => {
    expect(answer.command, 'a durable SEND on a full disk').to.equal('ERROR');
    expect(answer.headers['message']).to.match(/the disk is full/);
    expect(answer.body.toString()).to.match(/hint: .*free space/);
  };
  /** Plain traffic: a queue and a topic, each with a RECEIPT and its MESSAGE. */
  const plainTrafficFlows = async (): Promise<void> => {
    const conn = await open();
    conn.write(frame('SUBSCRIBE', { id: 'q', destination: '/queue/plain' }));
    conn.write(frame('SUBSCRIBE', { id: 't', destination: '/topic/plain', receipt: 'sub' }));
    await conn.waitFrame('RECEIPT');
    conn.write(frame('SEND', { destination: '/queue/plain', receipt: 'p1' }, 'plain queue'));
    conn.write(frame('SEND', { destination: '/topic/plain', receipt: 'p2' }, 'plain topic'));
    await conn.waitFrame('RECEIPT', 5000, 3);
    await conn.waitFrame('MESSAGE', 5000, 2);
    expect(conn.reader.byCommand('MESSAGE').map((m) => m.body.toString()).sort()).to.deep.equal(['plain queue', 'plain topic']);
    expect(conn.reader.byCommand('ERROR')).to.have.length(0);
    conn.close();
  };
  /** Takes every free block of the tmpfs with one file. */
  const fillDisk = (): void => {
    rmSync(filler(), { force: true });
    for (const size of [64 * 1024, 512]) {
      const chunk = Buffer.alloc(size);
      try {
        for (;;) writeFileSync(filler(), chunk, { flag: 'a' });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
      }
    }
  };

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('    (skipped: mounting a tmpfs for the full disk needs root; CI runs as root)');
      this.skip();
    }
    mountPoint = mkdtempSync(join(tmpdir(), 'wharf-e2e-disk-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
  });
  afterEach(async () => {
    await tracker.closeAll();
  });
  after(async () => {
    await tracker.closeAll();
    await e2e?.stop();
    if (mountPoint === undefined) return;
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('answers durable SENDs with an ERROR while plain traffic flows, and takes them again once space returns, without a restart', async () => {
    await start();
    expect((await sendDurable('/queue/durable')).command).to.equal('RECEIPT');
    fillDisk();
    expectDiskFullError(await sendDurable('/queue/durable'));
    await plainTrafficFlows();
    expect(await stored('/queue/durable'), 'the refused message was not stored').to.equal(1);
    rmSync(filler());
    expect((await sendDurable('/queue/durable')).command, 'space returned').to.equal('RECEIPT');
    expect(await stored('/queue/durable')).to.equal(2);
    // Drain it for the next test.
    const consumer = await open();
    consumer.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/durable' }));
    await consumer.waitFrame('MESSAGE', 5000, 2);
    await storeEmpties('/queue/durable');
  });

  it('gives the space of drained queues back: with every queue empty the disk does not refill', async () => {
    // The store fills the disk with a backlog: one producer, a RECEIPT for each, until the ERROR.
    const filling = await open();
    let backlog = 0;
    while (!filling.frames.some((f) => f.command === 'ERROR')) {
      filling.write(frame('SEND', { destination: '/queue/backlog', persistent: 'true', receipt: `f${backlog}` }, BODY));
      await waitFor(() => filling.frames.length > backlog + 1, 5000, 'a RECEIPT or an ERROR');
      if (filling.frames[backlog + 1]!.command === 'RECEIPT') backlog++;
    }
    expectDiskFullError(filling.reader.byCommand('ERROR')[0]!);
    expect(backlog).to.be.greaterThan(50);
    const walAtFull = statSync(`${dbPath()}-wal`).size;
    // A consumer drains it (auto ack: each delivery removes the message from the store).
    const consumer = await open();
    consumer.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/backlog' }));
    await consumer.waitFrame('MESSAGE', 10_000, backlog);
    await storeEmpties('/queue/backlog');
    expect(statSync(`${dbPath()}-wal`).size, 'the WAL once the queue is drained').to.be.lessThan(walAtFull);
    // Twice the backlog goes through now, the consumer taking the messages as they come.
    const producer = await open();
    const WINDOW = 16;
    for (let sent = 0; sent < backlog * 2; sent += WINDOW) {
      for (let i = sent; i < sent + WINDOW; i++) producer.write(frame('SEND', { destination: '/queue/backlog', persistent: 'true', receipt: `r${i}` }, BODY));
      await producer.waitFrame('RECEIPT', 5000, sent + WINDOW);
    }
    expect(producer.reader.byCommand('ERROR'), `durable SENDs after the drain (${backlog} filled the disk)`).to.have.length(0);
    const total = backlog + Math.ceil((backlog * 2) / WINDOW) * WINDOW;
    await consumer.waitFrame('MESSAGE', 10_000, total);
    expect(statSync(`${dbPath()}-wal`).size, 'the WAL after twice the backlog went through').to.be.lessThan(walAtFull);
  });

  it('restarts on the full disk: logins and plain traffic work, durable messages are restored, durable SENDs are refused until space returns', async () => {
    expect((await sendDurable('/queue/kept', 'kept 1')).command).to.equal('RECEIPT');
    expect((await sendDurable('/queue/kept', 'kept 2')).command).to.equal('RECEIPT');
    await tracker.closeAll();
    await e2e!.stop();
    e2e = undefined;
    fillDisk();
    await start();
    await plainTrafficFlows();
    const consumer = await open();
    consumer.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/kept', ack: 'client-individual' }));
    await consumer.waitFrame('MESSAGE', 5000, 2);
    expect(consumer.reader.byCommand('MESSAGE').map((m) => m.body.toString())).to.deep.equal(['kept 1', 'kept 2']);
    expectDiskFullError(await sendDurable('/queue/kept', 'refused'));
    rmSync(filler());
    expect((await sendDurable('/queue/kept', 'kept 3')).command, 'space returned').to.equal('RECEIPT');
    await consumer.waitFrame('MESSAGE', 5000, 3);
    const messages = consumer.reader.byCommand('MESSAGE');
    expect(messages.map((m) => m.body.toString())).to.deep.equal(['kept 1', 'kept 2', 'kept 3']);
    // The restored two acknowledged: their removals are written, the third stays.
    for (const m of messages.slice(0, 2)) consumer.write(frame('ACK', { id: m.headers['ack']!, receipt: `a-${m.headers['ack']}` }));
    await consumer.waitFrame('RECEIPT', 5000, 2);
    expect(await stored('/queue/kept')).to.equal(1);
  });
});
