/**
 * Attack suite, issue 15 item 3, over real sockets: one subscriber that never reads its socket and
 * one producer sending unpaced (large bodies, no receipts) to that queue. The broker has a small
 * memory budget (limits.memoryHighWaterMark: its RSS at start plus HEADROOM) and a store.
 *
 * - A queue that may not page (pageOutBytes: 0) fills memory: the memory alarm pauses its
 *   producer only; a pair on another queue keeps getting RECEIPTs within a second, a new client
 *   connects and sends elsewhere; once the stuck consumer reads again it gets everything in order
 *   and the pause clears by itself.
 * - A queue that pages (the default) costs disk, not memory: the producer is never paused, its
 *   backlog goes to the spill file, and the consumer later gets all of it in order.
 */
import { mkdtempSync, rmSync, readdirSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, stompOverTcp, waitFor, type StompClient } from './helpers.js';

const MB = 1024 * 1024;
const HEADROOM = 120 * MB;
const BODY = 256 * 1024;
const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' });

function body(i: number): Buffer {
  const b = Buffer.alloc(BODY, 0x61 + (i % 26));
  b.write(String(i).padStart(8, '0'));
  return b;
}

/** A subscriber on raw TCP that can stop reading its socket; it keeps only the order of what it got. */
class StuckSubscriber {
  readonly received: number[] = [];
  private constructor(readonly raw: RawConnection) {
    raw.socket.on('data', () => {
      for (const f of raw.reader.frames.splice(0)) if (f.command === 'MESSAGE') this.received.push(Number(f.body.subarray(0, 8).toString()));
    });
  }

  static async open(port: number, destination: string, tracker: Tracker): Promise<StuckSubscriber> {
    const raw = await RawConnection.open(port, tracker);
    raw.write(CONNECT);
    await raw.waitFrame('CONNECTED');
    raw.write(frame('SUBSCRIBE', { id: 's', destination, receipt: 'sub' }));
    await raw.waitFrame('RECEIPT');
    raw.reader.frames.splice(0);
    const subscriber = new StuckSubscriber(raw);
    raw.socket.pause(); // from now on it never reads: the broker's writes to it back up
    return subscriber;
  }
}

/** A producer on raw TCP that writes SEND frames as fast as TCP lets it (no receipts). */
class Flood {
  written = 0;
  private constructor(readonly raw: RawConnection) {}

  static async open(port: number, tracker: Tracker): Promise<Flood> {
    const raw = await RawConnection.open(port, tracker);
    raw.write(CONNECT);
    await raw.waitFrame('CONNECTED');
    return new Flood(raw);
  }

  /** Writes `count` frames, waiting only for the socket to drain; resolves when all are written. */
  async send(destination: string, count: number, persistentEvery = 0): Promise<void> {
    const socket = this.raw.socket;
    for (let i = 0; i < count; i++) {
      const persistent = persistentEvery > 0 && i % persistentEvery === 0;
      const more = socket.write(frame('SEND', { destination, ...(persistent ? { persistent: 'true' } : {}) }, body(i)));
      this.written++;
      if (!more) await new Promise((resolve) => socket.once('drain', resolve));
      if (this.raw.closed) throw new Error(`the producer was closed after ${this.written} frames`);
    }
  }
}

/** A well-behaved pair on its own queue: every send must get its RECEIPT within a second. */
class Pair {
  receipts = 0;
  private stopped = false;
  private done: Promise<void> | undefined;
  failure: Error | undefined;

  constructor(private readonly client: StompClient, private readonly destination: string) {}

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        try {
          await this.client.withReceipt((receipt) => this.client.client.publish({ destination: this.destination, body: `ping ${this.receipts}`, headers: { receipt } }), 1000);
        } catch (err) {
          this.failure = err as Error;
          return;
        }
        this.receipts++;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    if (this.failure) throw new Error(`the pair on ${this.destination} waited more than a second for a RECEIPT after ${this.receipts}: ${this.failure.message}`);
  }
}

describe('e2e: attack — one stuck queue does not stop everyone (issue 15, item 3)', function () {
  this.timeout(60_000);
  let e2e: E2eBroker;
  let dir: string;
  const clients = new Tracker();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-e2e-stuck-'));
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS, { use: '@wharf/store-sqlite', options: { path: join(dir, 'wharf.db') } }],
      store: { use: 'sqlite', pageDirectory: join(dir, 'pages') },
      limits: { memoryHighWaterMark: process.memoryUsage.rss() + HEADROOM },
      routing: {
        rules: [{ match: '^/queue/no-paging/', type: 'queue', options: { pageOutBytes: 0 } }],
        prefixes: { '/queue/': 'queue', '/topic/': 'topic' },
        fallback: 'topic',
      },
    });
  });

  afterEach(async () => {
    await clients.closeAll();
    await e2e.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pauses only the producer of a stuck queue that holds the memory; others and new clients go on; all is delivered in order once it reads again', async () => {
    const stuckQueue = '/queue/no-paging/stuck';
    const stuck = await StuckSubscriber.open(e2e.tcpPort, stuckQueue, clients);
    const pair = new Pair(await stompOverTcp(e2e.tcpPort, {}, clients), '/queue/pair');
    pair.start();
    const producer = await Flood.open(e2e.tcpPort, clients);
    const count = Math.ceil((2 * HEADROOM) / BODY);
    const flooding = producer.send(stuckQueue, count);

    await waitFor(() => e2e.broker.flow.alarm && e2e.broker.mqm.pausedSessions > 0, 30_000, 'the memory alarm to pause the stuck queue\'s producer');
    expect(e2e.broker.mqm.hotDestinations).to.deep.equal([stuckQueue]);
    expect(e2e.broker.mqm.pausedSessions, 'only the producer').to.equal(1);
    expect(producer.written, 'the producer is held up before it sent everything').to.be.below(count);

    // While it is paused: the pair is served, and a new client connects and sends elsewhere.
    const receiptsBefore = pair.receipts;
    const late = await stompOverTcp(e2e.tcpPort, {}, clients);
    await late.withReceipt((receipt) => late.client.publish({ destination: '/queue/elsewhere', body: 'new client', headers: { receipt } }), 1000);
    await waitFor(() => pair.receipts >= receiptsBefore + 5, 5000, 'more RECEIPTs for the pair');
    expect(e2e.broker.mqm.pausedSessions, 'neither the pair nor the new client is paused').to.equal(1);
    expect(e2e.broker.flow.alarm).to.equal(true);

    // The stuck consumer reads again: everything comes, in order, and the pause clears by itself.
    stuck.raw.socket.resume();
    await flooding;
    await waitFor(() => stuck.received.length === count, 30_000, `all ${count} messages for the stuck consumer`);
    expect(stuck.received).to.deep.equal([...Array(count).keys()]);
    await waitFor(() => !e2e.broker.flow.alarm && e2e.broker.mqm.pausedSessions === 0, 5000, 'the alarm to clear');
    await pair.stop();
  });

  it('pages the stuck queue\'s backlog to disk instead: nobody is paused, memory stays under the mark, and everything comes back in order', async () => {
    const stuckQueue = '/queue/stuck';
    const stuck = await StuckSubscriber.open(e2e.tcpPort, stuckQueue, clients);
    const pair = new Pair(await stompOverTcp(e2e.tcpPort, {}, clients), '/queue/pair');
    pair.start();
    const producer = await Flood.open(e2e.tcpPort, clients);
    const count = Math.ceil((1.5 * HEADROOM) / BODY);
    await producer.send(stuckQueue, count, 10);
    producer.raw.write(frame('SEND', { destination: '/queue/pair', receipt: 'last' }, 'done'));
    await producer.raw.waitFrame('RECEIPT', 30_000);

    expect(e2e.broker.flow.alarm, 'no memory alarm').to.equal(false);
    expect(e2e.broker.mqm.pausedSessions).to.equal(0);
    expect(e2e.broker.mqm.destinationStats(stuckQueue).depth, 'held by the queue, not delivered').to.be.greaterThan(count / 2);
    const pages = e2e.broker.pages!.path;
    const onDisk = existsSync(pages) ? readdirSync(pages).reduce((sum, f) => sum + statSync(join(pages, f)).size, 0) : 0;
    expect(onDisk, 'the backlog went to the spill file').to.be.greaterThan(HEADROOM / 2);
    // A message leaves memory once its page write is on disk: on a loaded machine the last runs may still be in
    // flight when the RECEIPT comes, so memory is given time to come down to about the queue's pageOutBytes.
    await waitFor(() => e2e.broker.flow.held < HEADROOM / 2, 10_000, `held in memory (${e2e.broker.flow.held} B) to fall to about the queue's pageOutBytes`);

    stuck.raw.socket.resume();
    await waitFor(() => stuck.received.length === count, 30_000, `all ${count} messages for the stuck consumer`);
    expect(stuck.received).to.deep.equal([...Array(count).keys()]);
    await pair.stop();
  });
});
