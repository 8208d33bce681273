/**
 * Issue 15, item 8 (crash flags): after a kill -9, every message a consumer had received and not
 * acknowledged comes back with `redelivered:true` — also those delivered in the last milliseconds
 * before the kill, whose delivery marks were not written yet (docs/durability.md, "After a
 * crash"). A broker in a child process (broker-process.ts, SQLite) takes persistent messages with
 * receipts while a client-individual consumer receives them continuously and acknowledges one in
 * two; SIGKILL mid-stream, restart on the same file, check, several rounds. Then a clean stop
 * (SIGTERM): the messages never delivered come back without the flag, the delivered ones with it.
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
const KILLS = 3;
const WINDOW = 16;
const headerOf = (frame: Frame, name: string): string | undefined => frame.headers.find(([n]) => n === name)?.[1];
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A raw STOMP 1.2 connection (the project's own codec). */
class Peer {
  private readonly parser: FrameParser;
  private readonly waiting = new Map<string, () => void>();
  readonly errors: string[] = [];
  onMessage: (frame: Frame) => void = () => {};
  closed = false;

  private constructor(readonly socket: Socket) {
    this.parser = new FrameParser(DEFAULT_CODEC_LIMITS, (frame) => this.dispatch(frame));
    this.parser.version = '1.2';
    socket.on('data', (chunk: Buffer) => {
      if (!this.closed) this.parser.push(chunk);
    });
    const closed = (): void => {
      this.closed = true;
    };
    socket.on('close', closed);
    socket.on('error', closed);
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

  /** Resolves when the RECEIPT comes (never, if the broker dies first). */
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
    if (frame.command === 'ERROR') this.errors.push(headerOf(frame, 'message') ?? 'ERROR');
    else this.onMessage(frame);
  }

  private settle(key: string): void {
    const done = this.waiting.get(key);
    this.waiting.delete(key);
    done?.();
  }
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
      if (out.includes('\n')) resolve({ child, port: (JSON.parse(out.split('\n')[0]!) as { port: number }).port, exited });
    });
    child.once('exit', (code) => reject(new Error(`the broker exited (code ${code}) before listening: ${err}`)));
  });
}

/** What one consumer saw: seq -> redelivered flag of its (last) delivery, and the seqs it acknowledged. */
interface Seen {
  readonly flags: Map<number, boolean>;
  readonly acked: Set<number>;
}

/** A client-individual consumer; acknowledges the seqs `ack` says (no receipt: the ACK may be lost in a kill). */
async function consume(port: number, queue: string, ack: (seq: number) => boolean, peers: Peer[]): Promise<Seen> {
  const peer = await Peer.open(port);
  peers.push(peer);
  const seen: Seen = { flags: new Map(), acked: new Set() };
  peer.onMessage = (frame) => {
    if (frame.command !== 'MESSAGE') return;
    const seq = Number(frame.body.toString());
    seen.flags.set(seq, headerOf(frame, 'redelivered') === 'true');
    if (!ack(seq)) return;
    seen.acked.add(seq);
    peer.write('ACK', { id: headerOf(frame, 'ack')! });
  };
  await peer.request('SUBSCRIBE', { id: 's', destination: queue, ack: 'client-individual' }, 'subscribed');
  return seen;
}

/** Sends persistent messages numbered from `from`, WINDOW in flight, until `stop()` or the connection dies; the receipted seqs. */
async function produce(port: number, queue: string, peers: Peer[], from = 0, count = Number.POSITIVE_INFINITY): Promise<{ receipted: Set<number>; done: Promise<void> }> {
  const peer = await Peer.open(port);
  peers.push(peer);
  const receipted = new Set<number>();
  let next = from;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const sendOne = (): void => {
    if (peer.closed || next >= from + count) {
      if (receipted.size >= count) finish();
      return;
    }
    const seq = next++;
    void peer.request('SEND', { destination: queue, persistent: 'true' }, `send-${seq}`, Buffer.from(String(seq))).then(() => {
      receipted.add(seq);
      sendOne();
    });
  };
  for (let i = 0; i < WINDOW; i++) sendOne();
  return { receipted, done };
}

async function until(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

describe('attack: crash flags (issue 15, item 8)', function () {
  this.timeout(40_000);
  let dir: string;
  let running: RunningBroker | undefined;
  const peers: Peer[] = [];

  const closePeers = (): void => {
    for (const peer of peers.splice(0)) peer.close();
  };
  const kill = async (signal: 'SIGKILL' | 'SIGTERM'): Promise<void> => {
    closePeers();
    running!.child.kill(signal);
    await running!.exited;
    running = undefined;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-crash-flags-'));
  });

  after(async () => {
    closePeers();
    if (running) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings back every received, unacknowledged message redelivered after kill -9 mid-stream, losing none', async () => {
    const db = join(dir, 'kill.db');
    for (let round = 0; round < KILLS; round++) {
      const queue = `/queue/flags-${round}`;
      running = await startBroker(db);
      const seen = await consume(running.port, queue, (seq) => seq % 2 === 0, peers);
      const { receipted } = await produce(running.port, queue, peers);
      // Kill while messages flow: deliveries of the last milliseconds have no delivery mark yet.
      await until(() => seen.flags.size >= 200 + 150 * round, 'deliveries before the kill');
      await delay(Math.floor(Math.random() * 40));
      const receivedAtKill = new Map(seen.flags);
      const ackedAtKill = new Set(seen.acked);
      await kill('SIGKILL');

      running = await startBroker(db);
      const mustReturn = new Set([...receipted, ...receivedAtKill.keys()].filter((seq) => !ackedAtKill.has(seq)));
      const back = await consume(running.port, queue, () => true, peers);
      await until(() => [...mustReturn].every((seq) => back.flags.has(seq)), `round ${round}: every receipted or received, unacknowledged message back`);
      const unflagged = [...receivedAtKill.keys()].filter((seq) => !ackedAtKill.has(seq) && back.flags.get(seq) !== true);
      expect(unflagged, `round ${round}: received before the kill, not acknowledged, back without redelivered:true`).to.deep.equal([]);
      expect(receivedAtKill.size, 'the consumer received messages right up to the kill').to.be.greaterThan(0);
      expect(peers.flatMap((p) => p.errors)).to.deep.equal([]);
      await kill('SIGKILL'); // another kill with the flags of the start already written: they must hold
      running = await startBroker(db);
      const again = await consume(running.port, queue, () => true, peers);
      const stillUnacked = [...receivedAtKill.keys()].filter((seq) => !ackedAtKill.has(seq) && !back.acked.has(seq));
      await delay(300);
      for (const seq of stillUnacked) {
        // Acknowledged by `back` without a receipt: may be gone; if back, flagged.
        if (again.flags.has(seq)) expect(again.flags.get(seq), `seq ${seq} after a second kill`).to.equal(true);
      }
      await kill('SIGTERM');
    }
  });

  it('after a clean stop (SIGTERM) brings back the delivered ones redelivered and the never-delivered ones without the flag', async () => {
    const db = join(dir, 'clean.db');
    const queue = '/queue/flags-clean';
    running = await startBroker(db);
    const { receipted, done } = await produce(running.port, queue, peers, 0, 40);
    await done;
    expect(receipted.size).to.equal(40);
    const first = await consume(running.port, queue, (seq) => seq < 10, peers);
    await until(() => first.flags.size === 40, 'the first deliveries');
    await delay(200); // the ACKs of 0..9 arrive
    await kill('SIGTERM');

    running = await startBroker(db);
    // A new queue's messages, never delivered, must not be flagged either.
    const fresh = await produce(running.port, '/queue/flags-clean-2', peers, 0, 20);
    await fresh.done;
    await kill('SIGTERM');

    running = await startBroker(db);
    const back = await consume(running.port, queue, () => true, peers);
    await until(() => back.flags.size === 30, 'the 30 unacknowledged messages');
    await delay(100);
    expect([...back.flags.keys()].sort((a, b) => a - b), 'the acknowledged ones stay gone').to.deep.equal(Array.from({ length: 30 }, (_, i) => i + 10));
    expect([...back.flags.values()].every((flag) => flag), 'delivered before the stop: redelivered').to.equal(true);
    const other = await consume(running.port, '/queue/flags-clean-2', () => true, peers);
    await until(() => other.flags.size === 20, 'the never-delivered messages');
    expect([...other.flags.values()].filter((flag) => flag), 'never delivered, after clean stops: not redelivered').to.deep.equal([]);
    await kill('SIGTERM');
  });
});
