/**
 * Fuzzing a running broker over real sockets: hundreds of connections throw random and mutated
 * byte streams at it while a well-behaved @stomp/stompjs producer and consumer work on another
 * connection. Each hostile connection must get an ERROR (with a `message` header, the last frame)
 * and a close, or go on correctly; the broker never crashes; the good consumer receives every
 * message, in order, throughout. Bounded in count and time; reproducible from the printed seed
 * (set WHARF_FUZZ_SEED to replay one).
 */
import { connect as netConnect } from 'node:net';
import { expect } from 'chai';
import { startE2eBroker, type E2eBroker } from './broker.js';
import { FrameReader, Tracker, frame, prng, stompOverTcp, unique, waitFor, type RawFrame, type StompClient } from './helpers.js';

const SEED = Number(process.env.WHARF_FUZZ_SEED ?? 0x5eed2024);
const CONNECTIONS = 300;
const CONCURRENCY = 30;
/** Stop starting new hostile connections after this long; the whole test stays well under 15 s. */
const FUZZ_BUDGET_MS = 8000;
const GOOD_QUEUE = '/queue/fuzz-ok';

type Rng = () => number;

interface Case {
  readonly index: number;
  readonly kind: string;
  readonly bytes: Buffer;
  /** Unmutated valid sessions: they must run to the DISCONNECT receipt without an ERROR. */
  readonly mustSucceed: boolean;
}

interface Outcome {
  readonly frames: RawFrame[];
  readonly garbage: boolean;
  readonly closedByBroker: boolean;
  readonly closed: boolean;
}

// ------------------------------------------------------------------ inputs

const int = (rng: Rng, max: number): number => Math.floor(rng() * max);
const pick = <T>(rng: Rng, items: readonly T[]): T => items[int(rng, items.length)]!;
const randomBytes = (rng: Rng, n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(rng, 256)));

/** One frame with the given end of line (STOMP 1.2 §Augmented BNF: EOL = [CR] LF). */
function frameWith(eol: string, command: string, headers: Record<string, string>, body: string | Buffer = '', contentLength = true): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = [command, ...Object.entries(headers).map(([k, v]) => `${k}:${v}`)];
  if (contentLength) lines.push(`content-length:${bytes.length}`);
  return Buffer.concat([Buffer.from(lines.join(eol) + eol + eol), bytes, Buffer.from([0])]);
}

/** A plausible STOMP session, ending with DISCONNECT receipt:bye. Never touches GOOD_QUEUE or /command/. */
function validSession(rng: Rng, index: number): Buffer {
  const q = `/queue/fz-${index % 17}`;
  const t = `/topic/fz-${index % 5}`;
  const version = pick(rng, ['1.2', '1.1', '1.0', '1.0,1.1,1.2']);
  const eol = rng() < 0.2 ? '\r\n' : '\n';
  const f = (command: string, headers: Record<string, string>, body: string | Buffer = '', contentLength = true): Buffer =>
    frameWith(eol, command, headers, body, contentLength);
  const parts: Buffer[] = [f(rng() < 0.5 ? 'CONNECT' : 'STOMP', { 'accept-version': version, host: 'localhost', 'heart-beat': '0,0' })];
  const open: string[] = [];
  let counter = 0;
  const steps = [
    () => {
      const id = `sub-${counter++}`;
      open.push(id);
      return f('SUBSCRIBE', { id, destination: q, ack: pick(rng, ['auto', 'client', 'client-individual']), receipt: `r-${id}` });
    },
    () => f('SEND', { destination: q, 'content-type': 'application/octet-stream', receipt: 'r-send' }, randomBytes(rng, int(rng, 64))),
    () => f('SEND', { destination: t, 'x-note': 'no content-length' }, 'plain text body', false),
    () => {
      const tx = `tx-${counter++}`;
      return Buffer.concat([
        f('BEGIN', { transaction: tx }),
        f('SEND', { destination: q, transaction: tx }, 'in tx'),
        f(pick(rng, ['COMMIT', 'ABORT']), { transaction: tx, receipt: `r-${tx}` }),
      ]);
    },
    () => f('SEND', { destination: q, 'x-escaped': version === '1.0' ? 'a-b' : 'a\\cb\\nc' }, 'escaped header'),
    () => Buffer.from(eol.repeat(1 + int(rng, 3))), // heart-beats between frames
    () => (open.length > 0 ? f('UNSUBSCRIBE', { id: open.pop()! }) : Buffer.alloc(0)),
  ];
  const count = 1 + int(rng, 6);
  for (let i = 0; i < count; i++) parts.push(pick(rng, steps)());
  parts.push(f('DISCONNECT', { receipt: 'bye' }));
  return Buffer.concat(parts);
}

/** Flips, inserts, deletes, duplicates or truncates bytes of `input`. */
function mutate(rng: Rng, input: Buffer): Buffer {
  let bytes = Buffer.from(input);
  const rounds = 1 + int(rng, 4);
  for (let r = 0; r < rounds && bytes.length > 0; r++) {
    const at = int(rng, bytes.length);
    switch (int(rng, 6)) {
      case 0: bytes[at] = int(rng, 256); break;
      case 1: bytes[at] = bytes[at]! ^ (1 << int(rng, 8)); break;
      case 2: bytes = Buffer.concat([bytes.subarray(0, at), randomBytes(rng, 1 + int(rng, 16)), bytes.subarray(at)]); break;
      case 3: bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(Math.min(bytes.length, at + 1 + int(rng, 16)))]); break;
      case 4: bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at, at + int(rng, 32)), bytes.subarray(at)]); break;
      default: bytes = bytes.subarray(0, at); break;
    }
  }
  return bytes;
}

const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' });

function makeCase(rng: Rng, index: number): Case {
  const kinds: Array<[string, () => Buffer, boolean?]> = [
    ['random bytes', () => randomBytes(rng, int(rng, 2048))],
    ['valid session', () => validSession(rng, index), true],
    ['mutated session', () => mutate(rng, validSession(rng, index))],
    ['mutated session', () => mutate(rng, validSession(rng, index))],
    ['mutated session', () => mutate(rng, validSession(rng, index))],
    ['huge content-length', () => Buffer.concat([CONNECT, Buffer.from(`SEND\ndestination:/queue/fz-big\ncontent-length:${pick(rng, ['4194305', '99999999999', '18446744073709551616', '-1', '1e9', ''])}\n\n`), randomBytes(rng, int(rng, 100))])],
    ['endless header line', () => Buffer.concat([CONNECT, Buffer.from('SEND\ndestination:/queue/fz-long\nx-long:'), Buffer.alloc(9000 + int(rng, 20000), 'a')])],
    ['endless header lines', () => Buffer.concat([CONNECT, Buffer.from('SEND\ndestination:/queue/fz-many\n'), Buffer.from(Array.from({ length: 70 + int(rng, 500) }, (_, i) => `h${i}:v\n`).join(''))])],
    ['body without NUL', () => Buffer.concat([CONNECT, Buffer.from('SEND\ndestination:/queue/fz-nonul\n\n'), Buffer.alloc(int(rng, 100000), 'b')])],
    ['garbage before CONNECT', () => Buffer.concat([randomBytes(rng, 1 + int(rng, 200)), CONNECT])],
    ['CONNECT then garbage', () => Buffer.concat([CONNECT, randomBytes(rng, 1 + int(rng, 1000))])],
    ['frame before CONNECT', () => frame(pick(rng, ['SEND', 'SUBSCRIBE', 'ACK', 'BEGIN']), { destination: '/queue/fz-early', id: '1', transaction: 't' }, 'early')],
    ['bad escape', () => Buffer.concat([CONNECT, frame('SEND', { destination: '/queue/fz-esc', 'x-bad': pick(rng, ['\\t', '\\', '\\x', 'a\\'] as const) }, 'x')])],
    ['unknown command', () => Buffer.concat([CONNECT, frame(pick(rng, ['FOO', 'send', 'CONNECTED', 'MESSAGE', 'ERROR']), { destination: '/queue/fz-x' }, 'x')])],
    ['many subscriptions and acks', () => Buffer.concat([CONNECT, ...Array.from({ length: 50 }, (_, i) => frame('SUBSCRIBE', { id: `s${i}`, destination: `/queue/fz-${i}`, ack: 'client' })), frame('ACK', { id: String(int(rng, 1e9)) })])],
  ];
  const [kind, make, mustSucceed] = pick(rng, kinds);
  return { index, kind, bytes: make(), mustSucceed: mustSucceed === true };
}

// ------------------------------------------------------------------ one hostile connection

/** Writes `bytes` in random pieces, ends, and reports what the broker did. */
function throwAt(port: number, rng: Rng, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const reader = new FrameReader();
    const socket = netConnect(port, '127.0.0.1');
    let closedByBroker = false;
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ frames: reader.frames, garbage: reader.garbage, closedByBroker, closed });
    };
    // A connection the broker keeps open after our end would be a hang: report it rather than wait.
    const timer = setTimeout(() => finish(false), 6000);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('end', () => { closedByBroker = true; });
    socket.on('error', () => undefined); // EPIPE/ECONNRESET after the broker closed: expected
    socket.on('close', () => finish(true));
    socket.once('connect', async () => {
      let at = 0;
      while (at < bytes.length && !socket.destroyed) {
        const n = 1 + int(rng, Math.min(bytes.length - at, rng() < 0.3 ? 8 : 4096));
        socket.write(bytes.subarray(at, at + n));
        at += n;
        if (rng() < 0.3) await new Promise((r) => setImmediate(r));
      }
      if (!socket.destroyed) socket.end();
    });
  });
}

function describeCase(c: Case): string {
  const head = c.bytes.subarray(0, 120).toString('latin1').replace(/[^\x20-\x7e]/g, (ch) => `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`);
  // WHARF_FUZZ_VERBOSE=1 prints the whole input (base64), to replay it by hand.
  const whole = process.env.WHARF_FUZZ_VERBOSE ? ` [base64 ${c.bytes.toString('base64')}]` : '';
  return `case #${c.index} (${c.kind}, ${c.bytes.length} bytes, seed ${SEED}): ${head}${whole}`;
}

/** The rule for each hostile connection: ERROR (message header, last frame) then close, or carry on. */
function check(c: Case, outcome: Outcome): void {
  const what = describeCase(c);
  expect(outcome.closed, `${what}: the connection was not closed after the client ended it`).to.equal(true);
  expect(outcome.garbage, `${what}: the broker sent bytes that are not STOMP frames`).to.equal(false);
  const commands = outcome.frames.map((f) => f.command);
  for (const command of commands) expect(['CONNECTED', 'RECEIPT', 'MESSAGE', 'ERROR'], what).to.include(command);
  const errorAt = commands.indexOf('ERROR');
  if (errorAt >= 0) {
    const error = outcome.frames[errorAt]!;
    expect(error.headers['message'], `${what}: ERROR without a message header`).to.be.a('string').and.not.equal('');
    expect(errorAt, `${what}: frames after the ERROR "${error.headers['message']}" (${commands.join(',')})`).to.equal(commands.length - 1);
  }
  if (c.mustSucceed) {
    expect(errorAt, `${what}: a valid session got ERROR ${outcome.frames[errorAt]?.headers['message']}`).to.equal(-1);
    expect(commands[0], what).to.equal('CONNECTED');
    expect(outcome.frames.some((f) => f.command === 'RECEIPT' && f.headers['receipt-id'] === 'bye'), `${what}: no DISCONNECT receipt`).to.equal(true);
  }
}

// ------------------------------------------------------------------ the test

describe('e2e: fuzzing a running broker', function () {
  this.timeout(20000);
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => { e2e = await startE2eBroker(); });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  it(`survives ${CONNECTIONS} random and mutated byte streams while a good client keeps receiving (seed ${SEED})`, async () => {
    console.log(`      fuzz seed ${SEED} (replay with WHARF_FUZZ_SEED=${SEED})`);
    const rng = prng(SEED);
    const consumer = await stompOverTcp(e2e.tcpPort, {}, clients);
    const received: number[] = [];
    await consumer.subscribe(GOOD_QUEUE, {}, (m) => {
      if (m.headers['x-good'] === 'yes') received.push(Number(m.body));
    });
    const producer = await stompOverTcp(e2e.tcpPort, {}, clients);
    const baselineSessions = e2e.broker.mqm.sessionCount;

    // The well-behaved producer: numbered messages, a receipt every 10, until told to stop.
    let sent = 0;
    let confirmed = 0;
    let stopProducing = false;
    const producing = (async () => {
      while (!stopProducing) {
        for (let i = 0; i < 9; i++) producer.client.publish({ destination: GOOD_QUEUE, body: String(sent++), headers: { 'x-good': 'yes' } });
        const last = sent++;
        await producer.publishConfirmed(GOOD_QUEUE, String(last), { 'x-good': 'yes' });
        confirmed = sent;
      }
    })();

    const started = Date.now();
    const failures: string[] = [];
    let thrown = 0;
    let errors = 0;
    let index = 0;
    while (index < CONNECTIONS && Date.now() - started < FUZZ_BUDGET_MS) {
      const wave: Case[] = [];
      for (let i = 0; i < CONCURRENCY && index < CONNECTIONS; i++) wave.push(makeCase(rng, index++));
      const outcomes = await Promise.all(wave.map((c) => throwAt(e2e.tcpPort, prng(SEED + c.index), c.bytes)));
      wave.forEach((c, i) => {
        thrown++;
        if (outcomes[i]!.frames.some((f) => f.command === 'ERROR')) errors++;
        try {
          check(c, outcomes[i]!);
        } catch (err) {
          failures.push((err as Error).message);
        }
      });
      expect(e2e.broker.running, 'the broker stopped running').to.equal(true);
      // Throughout: the good consumer has everything the producer had confirmed by now, in order.
      const target = confirmed;
      await waitFor(() => received.length >= target, 5000, `the good consumer to catch up to ${target}`);
      expect(received.slice(0, target)).to.deep.equal([...Array(target).keys()]);
    }
    stopProducing = true;
    await producing;

    expect(failures, failures.slice(0, 5).join('\n')).to.deep.equal([]);
    expect(thrown).to.be.at.least(100);
    expect(errors, 'some hostile connections must have been refused').to.be.greaterThan(0);
    expect(e2e.broker.running).to.equal(true);
    await waitFor(() => received.length >= sent, 5000, `all ${sent} good messages`);
    expect(received).to.deep.equal([...Array(sent).keys()]);
    expect(sent).to.be.greaterThan(0);
    // Every hostile session is gone: nothing leaked.
    await waitFor(() => e2e.broker.mqm.sessionCount === baselineSessions, 5000, 'the hostile sessions to be released');

    // And a new client is still welcome.
    const late: StompClient = await stompOverTcp(e2e.tcpPort, {}, clients);
    const q = unique('/queue/after-fuzz');
    const sub = await late.subscribe(q);
    await late.publishConfirmed(q, 'still here');
    await sub.waitCount(1);
    expect(sub.bodies).to.deep.equal(['still here']);
  });
});
