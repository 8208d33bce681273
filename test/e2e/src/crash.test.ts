/**
 * kill -9: a broker in a child process (broker-process.ts, SQLite store) takes persistent messages
 * with receipts from producers while consumers acknowledge some of them (ACK with a receipt); the
 * test kills it with SIGKILL at a random moment, restarts it on the same file, several rounds, then
 * drains what is left. The promises checked:
 *
 *   - every message that got a RECEIPT comes back after the restart unless its ACK was sent;
 *   - a message whose ACK got a RECEIPT is never delivered again;
 *   - each queue keeps its order: within a run of the broker, deliveries follow the send order;
 *   - a message delivered well before the kill comes back marked redelivered.
 *
 * Raw STOMP over sockets (the project's own codec) keeps the clients exact and deterministic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { after, before, describe, it } from 'mocha';
import { DEFAULT_CODEC_LIMITS, FrameParser, encodeFrame, type Frame } from '@wharf/protocol-stomp/codec';

const BROKER_PROCESS = fileURLToPath(new URL('./broker-process.js', import.meta.url));
const QUEUES = ['/queue/crash-a', '/queue/crash-b'] as const;
const ROUNDS = 4;
/** Sends a producer keeps in flight (awaiting their RECEIPT) at once. */
const WINDOW = 24;
/** A delivery this long before the kill has surely had its delivery recorded. */
const RECORDED_MS = 250;

/** ERROR frames the broker sent: there must be none. */
const errors: string[] = [];
const headerOf = (frame: Frame, name: string): string | undefined => frame.headers.find(([n]) => n === name)?.[1];
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A raw STOMP 1.2 connection. */
class Peer {
  private readonly parser: FrameParser;
  private readonly waiting = new Map<string, () => void>();
  onFrame: (frame: Frame) => void = () => {};
  closed = false;

  private constructor(readonly socket: Socket) {
    this.parser = new FrameParser(DEFAULT_CODEC_LIMITS, (frame) => this.dispatch(frame));
    this.parser.version = '1.2';
    socket.on('data', (chunk: Buffer) => {
      if (!this.closed) this.parser.push(chunk);
    });
    socket.on('close', () => {
      this.closed = true;
    });
    socket.on('error', () => {
      this.closed = true;
    });
  }

  static open(port: number): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      const peer = new Peer(socket);
      socket.once('error', reject);
      peer.waiting.set('CONNECTED', () => resolve(peer));
      socket.once('connect', () => peer.write('CONNECT', { 'accept-version': '1.2', host: '/', 'heart-beat': '0,0' }));
    });
  }

  write(command: string, headers: Record<string, string>, body?: Buffer): void {
    if (!this.closed) this.socket.write(encodeFrame(command, headers, body, '1.2'));
  }

  /** Sends a frame with a receipt and resolves when the RECEIPT comes (never, if the broker dies first). */
  request(command: string, headers: Record<string, string>, receipt: string, body?: Buffer): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.set(receipt, resolve);
      this.write(command, { ...headers, receipt }, body);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private dispatch(frame: Frame): void {
    if (frame.command === 'CONNECTED') return this.settle('CONNECTED');
    if (frame.command === 'RECEIPT') return this.settle(headerOf(frame, 'receipt-id') ?? '');
    if (frame.command === 'ERROR') {
      errors.push(headerOf(frame, 'message') ?? 'ERROR without a message');
      return;
    }
    this.onFrame(frame);
  }

  private settle(key: string): void {
    const done = this.waiting.get(key);
    this.waiting.delete(key);
    done?.();
  }
}

interface Delivery {
  readonly round: number;
  readonly seq: number;
  readonly redelivered: boolean;
  readonly at: number;
}

/** What the test knows of each queue, across rounds. */
class QueueLedger {
  nextSeq = 0;
  readonly receipted = new Set<number>();
  readonly ackSent = new Set<number>();
  /** seq -> round in which the ACK's RECEIPT arrived. */
  readonly ackConfirmed = new Map<number, number>();
  readonly deliveries: Delivery[] = [];
  constructor(readonly name: string) {}
}

interface RunningBroker {
  readonly child: ChildProcess;
  readonly port: number;
  readonly exited: Promise<void>;
}

function startBroker(db: string): Promise<RunningBroker> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BROKER_PROCESS, db], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    let out = '';
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) resolve({ child, port: (JSON.parse(line!) as { port: number }).port, exited });
    });
    child.once('exit', (code) => reject(new Error(`the broker exited (code ${code}) before listening: ${err}`)));
  });
}

/** Subscribes (client-individual) and acknowledges two messages in three, each ACK with a receipt. */
async function consume(port: number, ledger: QueueLedger, round: number, peers: Peer[], ackAll = false): Promise<void> {
  const peer = await Peer.open(port);
  peers.push(peer);
  peer.onFrame = (frame) => {
    if (frame.command !== 'MESSAGE') return;
    const seq = Number(frame.body.toString());
    ledger.deliveries.push({ round, seq, redelivered: headerOf(frame, 'redelivered') === 'true', at: Date.now() });
    if (!ackAll && seq % 3 === 0) return; // left unacknowledged: it must come back after each restart
    ledger.ackSent.add(seq);
    void peer.request('ACK', { id: headerOf(frame, 'ack')! }, `ack-${seq}-${round}`).then(() => {
      ledger.ackConfirmed.set(seq, round);
    });
  };
  await peer.request('SUBSCRIBE', { id: 'crash', destination: ledger.name, ack: 'client-individual' }, 'subscribed');
}

/** Sends persistent messages numbered on from ledger.nextSeq, WINDOW in flight, until the connection dies. */
async function produce(port: number, ledger: QueueLedger, peers: Peer[]): Promise<void> {
  const peer = await Peer.open(port);
  peers.push(peer);
  const sendOne = (): void => {
    if (peer.closed) return;
    const seq = ledger.nextSeq++;
    // The body is the sequence number; the broker sends the RECEIPT only after the commit.
    void peer.request('SEND', { destination: ledger.name, persistent: 'true', 'content-type': 'text/plain' }, `send-${seq}`, Buffer.from(String(seq)))
      .then(() => {
        ledger.receipted.add(seq);
        sendOne();
      });
  };
  for (let i = 0; i < WINDOW; i++) sendOne();
}

describe('crash: kill -9 of a broker with durable queues', function () {
  this.timeout(30_000);
  let dir: string;
  const ledgers = QUEUES.map((name) => new QueueLedger(name));
  let running: RunningBroker | undefined;
  const peers: Peer[] = [];
  const kills: number[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-crash-'));
  });

  after(async () => {
    for (const peer of peers) peer.close();
    if (running) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every message that got a RECEIPT, never brings back an acknowledged one, and keeps each queue in order', async () => {
    const db = join(dir, 'wharf.db');
    const started = Date.now();
    for (let round = 0; round < ROUNDS; round++) {
      running = await startBroker(db);
      for (const ledger of ledgers) await consume(running.port, ledger, round, peers);
      for (const ledger of ledgers) await produce(running.port, ledger, peers);
      await delay(250 + Math.floor(Math.random() * 700));
      kills[round] = Date.now();
      running.child.kill('SIGKILL');
      await running.exited;
      running = undefined;
      for (const peer of peers.splice(0)) peer.close();
      if (process.env.WHARF_CRASH_DEBUG) {
        console.log(`run ${round} done at ${Date.now() - started} ms:`, ledgers.map((l) => `${l.name} receipted ${l.receipted.size} delivered ${l.deliveries.length} acked ${l.ackConfirmed.size}`).join('; '));
      }
    }

    // The drain: no producers; take everything left and acknowledge it.
    const drain = ROUNDS;
    running = await startBroker(db);
    for (const ledger of ledgers) await consume(running.port, ledger, drain, peers, true);
    let seen = -1;
    let quietSince = Date.now();
    while (Date.now() - quietSince < 600) {
      const total = ledgers.reduce((n, l) => n + l.deliveries.length, 0);
      if (total !== seen) {
        seen = total;
        quietSince = Date.now();
      }
      await delay(20);
    }

    for (const ledger of ledgers) {
      const { name } = ledger;
      expect(ledger.receipted.size, `${name}: the producers got receipts`).to.be.greaterThan(20);
      const byRound = new Map<number, Delivery[]>();
      for (const d of ledger.deliveries) {
        const list = byRound.get(d.round) ?? [];
        list.push(d);
        byRound.set(d.round, list);
      }
      // Order: within each run of the broker, deliveries follow the send order, without duplicates.
      for (const [round, list] of byRound) {
        const seqs = list.map((d) => d.seq);
        for (let i = 1; i < seqs.length; i++) {
          expect(seqs[i], `${name}, run ${round}: ${seqs[i]} delivered after ${seqs[i - 1]}`).to.be.greaterThan(seqs[i - 1]!);
        }
      }
      // Never again after the ACK's receipt.
      for (const d of ledger.deliveries) {
        const ackedIn = ledger.ackConfirmed.get(d.seq);
        if (ackedIn !== undefined) {
          expect(d.round, `${name}: message ${d.seq} was acknowledged (receipt) in run ${ackedIn}`).to.be.at.most(ackedIn);
        }
      }
      // Every receipted message whose ACK was never sent is there at the drain.
      const drained = new Set((byRound.get(drain) ?? []).map((d) => d.seq));
      const missing = [...ledger.receipted].filter((seq) => !ledger.ackSent.has(seq) && !drained.has(seq));
      expect(missing, `${name}: receipted messages lost`).to.deep.equal([]);
      // Nothing that was never sent; nothing acknowledged twice over a restart.
      for (const seq of drained) expect(seq, `${name}: ${seq} was sent`).to.be.below(ledger.nextSeq);
      // A message delivered well before a kill comes back marked redelivered.
      const recordedIn = new Map<number, number>(); // seq -> first run in which it was delivered well before the kill
      for (const d of ledger.deliveries) {
        if (d.round < ROUNDS && kills[d.round]! - d.at > RECORDED_MS && !recordedIn.has(d.seq)) recordedIn.set(d.seq, d.round);
      }
      for (const d of ledger.deliveries) {
        const recorded = recordedIn.get(d.seq);
        if (recorded !== undefined && recorded < d.round) {
          expect(d.redelivered, `${name}: ${d.seq} in run ${d.round} is marked redelivered`).to.equal(true);
        }
      }
      expect(ledger.deliveries.some((d) => d.redelivered), `${name}: some messages came back redelivered`).to.equal(true);
    }
    expect(errors, 'ERROR frames from the broker').to.deep.equal([]);
    expect(Date.now() - started, 'bounded in time').to.be.below(30_000);
  });
});
