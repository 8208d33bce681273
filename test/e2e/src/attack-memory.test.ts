/**
 * Attack suite, issue 15 item 2 (memory before and around login), over real sockets against a broker in a process
 * of its own, whose resident memory is measured apart from the attackers' (memory-broker-process.ts):
 * - hundreds of connections that start a CONNECT with `content-length:4194304`, or trickle CONNECT headers, get an
 *   ERROR naming maxHeaderBytesBeforeConnect or hold at most a few KB each;
 * - a hundred logged-in connections holding unfinished 4 MiB frames stay within limits.inputBufferBytes: those past
 *   it wait, unread, and every frame still completes once its sender finishes it (no deadlock);
 * - WebSocket messages larger than the adapter's largest frame are refused by ws (close 1009) before the broker
 *   buffers them;
 * - a heart-beat EOL flood gets an ERROR naming maxHeartBeatsPerSecond and the close, while a good pair's sends keep
 *   getting receipts.
 * Without these limits the broker would hold about 300 × 4 MiB, then 100 × 4 MiB, then 30 × 5 MiB.
 */
import { expect } from 'chai';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import type { Measure } from './memory-broker-process.js';
import { RawConnection, Tracker, WS_PROTOCOLS, frame, stompOverTcp, unique, waitFor } from './helpers.js';

const BROKER_PROCESS = fileURLToPath(new URL('./memory-broker-process.js', import.meta.url));
const MiB = 1024 * 1024;
const BUDGET = 64 * MiB;
/** What the broker may grow by beyond the budget: V8's and ws's own bookkeeping, socket objects, one read per waiter. */
const MARGIN = 64 * MiB;
const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '0,0' });

interface ChildBroker {
  readonly child: ChildProcess;
  readonly tcpPort: number;
  readonly wsUrl: string;
  measure(): Promise<Measure>;
  stop(): Promise<void>;
}

function startChildBroker(limits: Record<string, unknown>): Promise<ChildBroker> {
  return new Promise((resolve, reject) => {
    const child = fork(BROKER_PROCESS, [JSON.stringify(limits)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    child.once('exit', (code) => reject(new Error(`the broker process exited (code ${code}) before listening`)));
    child.once('message', (ready) => {
      const { tcpPort, wsUrl } = ready as { tcpPort: number; wsUrl: string };
      resolve({
        child, tcpPort, wsUrl,
        measure: () => new Promise((done) => {
          child.once('message', (m) => done(m as Measure));
          child.send('measure');
        }),
        stop: () => new Promise((done) => {
          child.once('exit', () => done());
          child.send('stop');
        }),
      });
    });
  });
}

describe('e2e: attack — memory before and around login (issue 15 item 2)', function () {
  this.timeout(40_000);
  let broker: ChildBroker;
  let baseline: number;
  const clients = new Tracker();

  before(async () => {
    // Every attacker here comes from 127.0.0.1: the per-address connection budgets (limits.connections, tested in
    // attack-lockout) would refuse most of them at the socket, before any byte. They are lifted so that what is
    // measured is the input budget alone, as hundreds of addresses would meet it.
    broker = await startChildBroker({
      inputBufferBytes: BUDGET,
      connections: { perAddress: 5000, unauthenticatedPerAddress: 5000, unauthenticatedPerListener: 5000 },
    });
    // Warm up what every connection uses (parser, sessions, the queue and topic types), then take the baseline.
    const warm = await stompOverTcp(broker.tcpPort, {}, clients);
    for (let i = 0; i < 20; i++) await warm.publishConfirmed('/queue/warm-up', 'x'.repeat(1000));
    await clients.closeAll();
  });
  // Each test is measured from where the one before left the broker (freed memory may stay resident).
  beforeEach(async () => { baseline = (await broker.measure()).rss; });
  afterEach(() => clients.closeAll());
  after(() => broker.stop());

  /** Opens `n` raw TCP connections, a few at a time. */
  async function openRaw(n: number): Promise<RawConnection[]> {
    const out: RawConnection[] = [];
    while (out.length < n) out.push(...await Promise.all(Array.from({ length: Math.min(50, n - out.length) }, () => RawConnection.open(broker.tcpPort, clients))));
    return out;
  }

  async function expectWithinBudget(what: string): Promise<Measure> {
    const m = await broker.measure();
    // WHARF_ATTACK_FIGURES=1 prints what was measured (for docs/security.md).
    if (process.env.WHARF_ATTACK_FIGURES) console.log(`${what}: RSS +${((m.rss - baseline) / MiB).toFixed(1)} MiB, input held ${(m.inputUsed / MiB).toFixed(1)} MiB, waiting ${m.inputWaiting}`);
    expect(m.rss - baseline, `${what}: the broker's growth in resident memory (baseline ${baseline})`).to.be.below(BUDGET + MARGIN);
    return m;
  }

  it('answers 300 CONNECTs with content-length:4194304 with an ERROR at the header line; trickled headers hold a few KB each', async () => {
    const bodies = await openRaw(300);
    for (const raw of bodies) raw.write('CONNECT\naccept-version:1.2\nhost:localhost\ncontent-length:4194304\n');
    for (const raw of bodies) raw.write('\n'); // the trickle starts; the broker has answered already
    for (const raw of bodies) {
      const error = await raw.waitFrame('ERROR');
      expect(error.headers['message']).to.match(/may carry no body.*\(limit maxHeaderBytesBeforeConnect\)/);
      await raw.waitClosed();
    }
    // Slowloris before login: 300 CONNECTs whose headers never end, each under the pre-login frame size.
    const slow = await openRaw(300);
    for (const raw of slow) raw.write(`CONNECT\naccept-version:1.2\nx-pad:${'p'.repeat(3000)}`);
    await waitFor(() => slow.every((r) => !r.closed), 1000, 'the trickling connections to be open');
    const held = await waitForMeasure((m) => m.inputUsed >= 300 * 3000, 'the trickled headers to be counted');
    expect(held.inputUsed, 'bytes held for 300 unfinished CONNECTs').to.be.at.most(300 * 4096);
    await expectWithinBudget('300 unfinished CONNECTs');
    // One byte more than the pre-login frame size on each: ERROR, close.
    for (const raw of slow) raw.write('p'.repeat(1100));
    for (const raw of slow) expect((await raw.waitFrame('ERROR')).headers['message']).to.match(/larger than 4096 bytes/);
    await waitForMeasure((m) => m.inputUsed === 0, 'every held byte to be freed');
  });

  it('keeps 100 logged-in connections with unfinished 4 MiB frames within limits.inputBufferBytes, and completes every frame', async () => {
    const senders = await openRaw(100);
    for (const raw of senders) raw.write(CONNECT);
    for (const raw of senders) await raw.waitFrame('CONNECTED');
    const body = Buffer.alloc(4 * MiB, 0x61);
    const destination = unique('/topic/large'); // no subscriber: each completed frame is dropped, not kept
    senders.forEach((raw, i) => {
      raw.write(`SEND\ndestination:${destination}\nreceipt:r${i}\ncontent-length:${body.length}\n\n`);
      raw.write(body.subarray(0, body.length - 1));
    });
    // The budget fills; the connections past it wait, unread (400 MiB are offered in all).
    const full = await waitForMeasure((m) => m.inputUsed >= BUDGET - 4 * MiB && m.inputWaiting > 0, 'the budget to fill and senders to wait');
    expect(full.inputUsed, 'bytes held: the budget, plus at most one socket read per waiting connection').to.be.below(BUDGET + 100 * 64 * 1024);
    await expectWithinBudget('100 unfinished 4 MiB frames');
    // Each sender finishes its frame: those that hold bytes complete and free room for the waiting ones, in turn.
    senders.forEach((raw) => raw.write(Buffer.from([0x61, 0])));
    for (let i = 0; i < senders.length; i++) {
      expect((await senders[i]!.waitFrame('RECEIPT', 20_000)).headers['receipt-id']).to.equal(`r${i}`);
    }
    expect(senders.filter((r) => r.reader.byCommand('ERROR').length > 0)).to.have.length(0);
    await waitForMeasure((m) => m.inputUsed === 0 && m.inputWaiting === 0, 'every held byte to be freed');
  });

  /** Opens a STOMP WebSocket and resolves with it and its close code (once it closes). */
  async function openWs(): Promise<{ ws: WebSocket; closed: Promise<number> }> {
    const ws = new WebSocket(broker.wsUrl, WS_PROTOCOLS);
    clients.track({ close: () => ws.terminate() });
    ws.on('error', () => undefined); // the broker closes mid-send; the close code is what counts
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('open', resolve));
    return { ws, closed };
  }

  it('closes WebSocket clients whose message is over the largest frame before CONNECT (close 1009), from its length alone', async () => {
    // 30 clients announce 60 MB messages, as the attack did, and send only the first 64 KiB of each: ws refuses the
    // length field (maxPayload = maxBodyBytes + header room), so the broker never waits for, nor buffers, the rest.
    const header = Buffer.alloc(14);
    header[0] = 0x82; // FIN, binary (RFC 6455 §5.2)
    header[1] = 0x80 | 127; // masked, 64-bit length
    header.writeBigUInt64BE(60_000_000n, 2);
    const sockets = await Promise.all(Array.from({ length: 30 }, () => openWs()));
    for (const { ws } of sockets) {
      const raw = (ws as unknown as { _socket: import('node:net').Socket })._socket;
      raw.write(Buffer.concat([header, Buffer.alloc(64 * 1024, 0x61)]));
    }
    // RFC 6455 §7.4.1: 1009, "a message that is too big for it to process".
    expect(await Promise.all(sockets.map((s) => s.closed))).to.deep.equal(Array(30).fill(1009));
    await expectWithinBudget('30 announced 60 MB WebSocket messages');
    // A whole message over the limit, sent by the client library, is refused the same way.
    const big = await openWs();
    big.ws.send(Buffer.alloc(5 * MiB, 0x61), () => undefined);
    expect(await big.closed).to.equal(1009);
    // A message within the limit still reaches STOMP, which refuses a body before CONNECTED.
    const ws = new WebSocket(broker.wsUrl, WS_PROTOCOLS);
    clients.track({ close: () => ws.terminate() });
    const reply = await new Promise<string>((resolve) => {
      ws.once('open', () => ws.send('CONNECT\naccept-version:1.2\ncontent-length:1000000\n\n'));
      ws.once('message', (data: Buffer) => resolve(data.toString()));
    });
    expect(reply).to.match(/^ERROR\n/).and.match(/may carry no body/);
  });

  it('closes a heart-beat EOL flood with an ERROR while a good pair keeps getting receipts', async () => {
    const destination = unique('/queue/good-pair');
    const producer = await stompOverTcp(broker.tcpPort, {}, clients);
    const consumer = await stompOverTcp(broker.tcpPort, {}, clients);
    const inbox = await consumer.subscribe(destination);
    const flood = (await openRaw(1))[0]!;
    flood.write(CONNECT);
    await flood.waitFrame('CONNECTED');
    const eols = Buffer.alloc(64 * 1024, 0x0a);
    const pump = (): void => {
      if (flood.closed) return;
      flood.write(eols);
      setImmediate(pump);
    };
    pump();
    for (let i = 0; i < 20; i++) await producer.publishConfirmed(destination, `m${i}`);
    const error = await flood.waitFrame('ERROR');
    expect(error.headers['message']).to.match(/heart-beat EOLs within a second \(limit maxHeartBeatsPerSecond\)/);
    await flood.waitClosed();
    expect((await inbox.waitCount(20)).map((m) => m.body)).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });

  async function waitForMeasure(predicate: (m: Measure) => boolean, what: string, timeoutMs = 10_000): Promise<Measure> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await broker.measure();
      if (predicate(m)) return m;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${JSON.stringify(m)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});
