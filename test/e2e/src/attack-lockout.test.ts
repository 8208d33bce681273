/**
 * Attack suite, issue 15 item 1 (lockout), over real sockets. The flooder is 127.0.0.3, the good client
 * 127.0.0.2 (both loopback: the limits count loopback like any other address):
 * - the flooder opens more connections than the listener's maxConnections, CONNECTed with heart-beat:0,0
 *   and raw ones that never send CONNECT: it gets its budget (limits.connections.perAddress, of which
 *   unauthenticatedPerAddress may wait to log in), the rest are closed at once, on the TCP, TLS and
 *   WebSocket listeners alike; the good client logs in, sends and receives, with @stomp/stompjs, stompit,
 *   over TLS and over WebSocket; a session leaves the budget of those waiting once CONNECTED;
 * - idle sessions without heart-beats are closed after the listener's idleTimeoutMs with an ERROR, and
 *   connections that never send CONNECT after connectTimeoutMs, while a busy client stays;
 * - with security on, a reconnect loop from the flooder (no CONNECT, bad passwords) makes no good login
 *   from 127.0.0.2 fail.
 * Sizes follow the process's file-descriptor limit (CI may have 1,024): each flood connection costs two
 * here, the broker's end and the client's.
 */
import { execFileSync } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import type { IStompSocket } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { expect } from 'chai';
import stompit, { type Client as StompitClient } from 'stompit';
import WebSocket from 'ws';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, openStomp, unique, waitFor, type StompClient, type StompOptions } from './helpers.js';
import { PASSWORD, securityPlugins, writeSecurityFixture, type SecurityFixture } from './security-fixtures.js';

const FLOODER = '127.0.0.3';
const GOOD = '127.0.0.2';

/** The soft limit on open files, as this process has it (`ulimit -n` in a child inherits it). */
function fdLimit(): number {
  try {
    const text = execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? 65536 : Number(text) || 1024;
  } catch {
    return 1024;
  }
}

const FDS = fdLimit();
/** Connections the flooder tries: thousands where descriptors allow, 2 per connection, 300 kept spare. */
const FLOOD = Math.max(200, Math.min(3000, Math.floor((FDS - 300) / 2)));
/** What one address may hold: well under the listener's maxConnections, which the flood alone would exceed. */
const PER_ADDRESS = Math.floor(FLOOD * 0.4);
const MAX_CONNECTIONS = Math.floor(FLOOD * 0.8);
const UNAUTHENTICATED_PER_ADDRESS = 32;

const CONNECT_NO_BEATS = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '0,0' });

/** One flood connection: what it read, and whether it is still open. */
interface FloodConnection {
  readonly socket: Socket;
  text: string;
  closed: boolean;
  readonly done: Promise<'connected' | 'closed'>;
}

/** Opens a connection from `localAddress`; sends `hello` once connected; `done` says CONNECTED or closed. */
function open(port: number, localAddress: string, hello?: Buffer): FloodConnection {
  const socket = netConnect({ host: '127.0.0.1', port, localAddress });
  let settle!: (outcome: 'connected' | 'closed') => void;
  const conn: FloodConnection = { socket, text: '', closed: false, done: new Promise((resolve) => { settle = resolve; }) };
  socket.setEncoding('utf8');
  socket.on('connect', () => { if (hello !== undefined) socket.write(hello); });
  socket.on('data', (chunk: string) => {
    conn.text += chunk;
    if (conn.text.startsWith('CONNECTED')) settle('connected');
  });
  socket.on('error', () => undefined); // a refused connection is reset; 'close' says so
  socket.on('close', () => { conn.closed = true; settle('closed'); });
  return conn;
}

/** Opens `count` sessions from `localAddress`, `batch` at a time (fewer than may wait to log in at once). */
async function openSessions(port: number, localAddress: string, count: number, batch = 20): Promise<FloodConnection[]> {
  const all: FloodConnection[] = [];
  for (let i = 0; i < count; i += batch) {
    const round = Array.from({ length: Math.min(batch, count - i) }, () => open(port, localAddress, CONNECT_NO_BEATS));
    await Promise.all(round.map((c) => c.done));
    all.push(...round);
  }
  return all;
}

/** @stomp/stompjs over a TCP socket bound to `localAddress` (TCPWrapper's documented override point). */
function stompjsFrom(localAddress: string, port: number, options: StompOptions, tracker: Tracker): Promise<StompClient> {
  class BoundTcp extends TCPWrapper {
    protected override getSocket(p: number, host: string): Socket {
      return netConnect({ host, port: p, localAddress });
    }
  }
  return openStomp(() => new BoundTcp('127.0.0.1', port) as unknown as IStompSocket, options, tracker);
}

/** Logs in from `localAddress` with @stomp/stompjs, subscribes, sends with a receipt and receives it. */
async function expectServed(port: number, tracker: Tracker, connectHeaders: Record<string, string> = {}): Promise<void> {
  const good = await stompjsFrom(GOOD, port, { connectHeaders }, tracker);
  const destination = unique(connectHeaders['login'] ? `/queue/home.${connectHeaders['login']}.lockout` : '/queue/lockout');
  const inbox = await good.subscribe(destination);
  await good.publishConfirmed(destination, 'served');
  expect((await inbox.waitCount(1))[0]!.body).to.equal('served');
  await good.close();
}

describe('e2e: attack — lockout by connections (issue 15, item 1)', function () {
  this.timeout(30000);
  const clients = new Tracker();
  const flood: FloodConnection[] = [];
  let e2e: E2eBroker | undefined;

  afterEach(async () => {
    for (const c of flood.splice(0)) c.socket.destroy();
    await clients.closeAll();
    await e2e?.stop();
    e2e = undefined;
  });

  it(`keeps 127.0.0.2 served while 127.0.0.3 tries ${FLOOD} idle connections: past its budget they are closed at once`, async () => {
    e2e = await startE2eBroker(
      { limits: { connections: { perAddress: PER_ADDRESS, unauthenticatedPerAddress: UNAUTHENTICATED_PER_ADDRESS } } },
      { maxConnections: MAX_CONNECTIONS },
    );
    const { broker, tcpPort } = e2e;
    // Sessions that CONNECT with heart-beat:0,0 and then idle, up to the budget less what the raw ones will take.
    const sessions = await openSessions(tcpPort, FLOODER, PER_ADDRESS - UNAUTHENTICATED_PER_ADDRESS);
    flood.push(...sessions);
    expect(sessions.filter((c) => !c.closed).length, 'sessions the flooder holds').to.equal(PER_ADDRESS - UNAUTHENTICATED_PER_ADDRESS);
    // Raw connections that never send CONNECT: the address may keep 32 waiting; the rest go at once.
    const raw = Array.from({ length: UNAUTHENTICATED_PER_ADDRESS + 16 }, () => open(tcpPort, FLOODER));
    flood.push(...raw);
    await waitFor(() => raw.filter((c) => c.closed).length === 16, 5000, '16 raw connections closed');
    expect(raw.filter((c) => c.closed).every((c) => c.text === ''), 'refused before a byte is read or written').to.equal(true);
    // The rest of the flood, CONNECTs and raw alike, is refused: the address holds its whole budget.
    const rest = FLOOD - sessions.length - raw.length;
    const refusedBefore = broker.connections.stats().refused;
    for (let i = 0; i < rest; i += 100) {
      const round = Array.from({ length: Math.min(100, rest - i) }, (_, j) => open(tcpPort, FLOODER, j % 2 === 0 ? CONNECT_NO_BEATS : undefined));
      expect((await Promise.all(round.map((c) => c.done))).every((o) => o === 'closed'), 'refused').to.equal(true);
    }
    const stats = broker.connections.stats();
    expect(stats.refused - refusedBefore).to.equal(rest);
    expect(stats.open, 'the flooder holds its budget').to.equal(PER_ADDRESS);
    expect(stats.unauthenticated).to.equal(UNAUTHENTICATED_PER_ADDRESS);

    // The good client, from another address: @stomp/stompjs, stompit and WebSocket all get in and work.
    await expectServed(tcpPort, clients);
    const viaStompit = await new Promise<StompitClient>((resolve, reject) => {
      const client = stompit.connect({ host: '127.0.0.1', port: tcpPort, localAddress: GOOD, connectHeaders: { host: 'localhost' } },
        (err, c) => (err ? reject(err) : resolve(c)));
      client.on('error', () => undefined);
    });
    clients.track({ close: () => viaStompit.destroy() });
    expect(viaStompit.headers['version']).to.equal('1.2');
    // The budget is broker-wide: the flooder's WebSocket is closed at once, the good client's upgrades.
    const ws = (localAddress: string): Promise<'open' | 'refused'> => new Promise((resolve) => {
      const socket = new WebSocket(e2e!.wsUrl, ['v12.stomp'], { localAddress });
      clients.track({ close: () => socket.terminate() });
      socket.once('open', () => resolve('open'));
      socket.once('error', () => resolve('refused'));
    });
    expect(await ws(FLOODER)).to.equal('refused');
    expect(await ws(GOOD)).to.equal('open');
    // And its TLS connection, before the handshake.
    const tlsFrom = (localAddress: string): Promise<'open' | 'refused'> => RawConnection.openTls(e2e!.tlsPort, {
      socket: netConnect({ host: '127.0.0.1', port: e2e!.tlsPort, localAddress }), rejectUnauthorized: false,
    }, clients).then(() => 'open' as const, () => 'refused' as const);
    expect(await tlsFrom(FLOODER)).to.equal('refused');
    expect(await tlsFrom(GOOD)).to.equal('open');
  });

  it('closes idle sessions without heart-beats after idleTimeoutMs, and silent connections after connectTimeoutMs, with an ERROR', async () => {
    e2e = await startE2eBroker({}, { idleTimeoutMs: 1000, connectTimeoutMs: 1000 });
    const { broker, tcpPort } = e2e;
    const idle = await openSessions(tcpPort, FLOODER, Math.min(300, FLOOD - 100));
    flood.push(...idle);
    expect(idle.every((c) => !c.closed), 'every session admitted').to.equal(true);
    const silent = Array.from({ length: UNAUTHENTICATED_PER_ADDRESS }, () => open(tcpPort, FLOODER));
    flood.push(...silent);
    // A client that agreed no heart-beats either, but sends and receives, stays.
    const busy = await stompjsFrom(GOOD, tcpPort, {}, clients);
    const inbox = await busy.subscribe('/queue/busy');
    let sent = 0;
    while (!idle.every((c) => c.closed) || !silent.every((c) => c.closed)) {
      await busy.publishConfirmed('/queue/busy', `m${sent++}`);
      await new Promise((r) => setTimeout(r, 200));
      expect(sent, 'the flood is closed within a few seconds').to.be.below(100);
    }
    await inbox.waitCount(sent);
    expect(busy.closed).to.equal(false);
    for (const c of idle) expect(c.text).to.match(/ERROR\n(?:[^\n]*\n)*message:idle for \d+ ms with no heart-beats[^\n]*idleTimeoutMs/);
    for (const c of silent) expect(c.text).to.match(/^ERROR\n(?:[^\n]*\n)*message:no CONNECT frame within 1000 ms/);
    // The broker's ends close just after the clients' (each side's close follows the other's FIN).
    await waitFor(() => broker.connections.stats().open === 1, 5000, 'only the busy client to be left');
  });

  it('counts a session as logged in once CONNECTED, on TCP, TLS and WebSocket alike (its waiting place is freed)', async () => {
    // One connection from an address may wait to log in: each next one is admitted only if the last left the budget.
    e2e = await startE2eBroker({ limits: { connections: { unauthenticatedPerAddress: 1 } } });
    const { broker, tcpPort, tlsPort, wsUrl } = e2e;
    const connected = (text: string): boolean => text.startsWith('CONNECTED');
    for (let i = 0; i < 3; i++) {
      const tcp = open(tcpPort, GOOD, CONNECT_NO_BEATS);
      flood.push(tcp);
      expect(await tcp.done, `TCP session ${i}`).to.equal('connected');
      const under = netConnect({ host: '127.0.0.1', port: tlsPort, localAddress: GOOD });
      const tls = await RawConnection.openTls(tlsPort, { socket: under, rejectUnauthorized: false }, clients);
      tls.write(CONNECT_NO_BEATS);
      await tls.waitFrame('CONNECTED');
      const ws = new WebSocket(wsUrl, ['v12.stomp'], { localAddress: GOOD });
      clients.track({ close: () => ws.terminate() });
      let text = '';
      ws.on('message', (data: Buffer) => { text += data.toString(); });
      await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      ws.send(CONNECT_NO_BEATS);
      await waitFor(() => connected(text), 5000, `WebSocket session ${i} CONNECTED`);
    }
    expect(broker.connections.stats()).to.include({ open: 9, unauthenticated: 0, refused: 0 });
    expect(broker.mqm.listSessions().map((s) => s.remoteAddress)).to.deep.equal(Array(9).fill(GOOD));
  });

  describe('with security', () => {
    let fixture: SecurityFixture;
    before(async () => { fixture = await writeSecurityFixture(); });
    after(() => fixture.remove());

    it('lets every good login from 127.0.0.2 through while 127.0.0.3 holds sessions and reconnects in a loop', async () => {
      // A listener of 100; the flooder has an account of its own and wants more than all of it.
      e2e = await startE2eBroker(
        { plugins: [...STANDARD_PLUGINS, ...securityPlugins(fixture)], limits: { connections: { perAddress: 60 } } },
        { maxConnections: 100 },
      );
      const { broker, tcpPort } = e2e;
      const asReader = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '0,0', login: 'reader', passcode: PASSWORD('reader') });
      const held = await Promise.all(Array.from({ length: 20 }, () => open(tcpPort, FLOODER, asReader)).map(async (c) => { flood.push(c); await c.done; return c; }));
      expect(held.filter((c) => c.text.startsWith('CONNECTED')).length, 'the flooder\'s own sessions').to.equal(20);
      let stop = false;
      let attempts = 0;
      // 96 loops: 92 never send CONNECT, 4 guess carol's password (guessing itself: security-throttle.test.ts);
      // each connection lives up to 300 ms.
      const loop = async (n: number): Promise<void> => {
        while (!stop) {
          attempts++;
          const hello = n % 24 !== 0 ? undefined : frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'carol', passcode: `guess-${attempts}` });
          const conn = open(tcpPort, FLOODER, hello);
          flood.push(conn);
          await Promise.race([conn.done, new Promise((r) => setTimeout(r, 300))]);
          conn.socket.destroy();
          flood.splice(flood.indexOf(conn), 1);
          await new Promise((r) => setTimeout(r, 20)); // a reconnect loop's pause: 96 loops still try hundreds a second
        }
      };
      const loops = Array.from({ length: 96 }, (_, n) => loop(n));
      try {
        await waitFor(() => broker.connections.stats().refused > 0, 5000, 'the flood to reach its budget');
        const failures: string[] = [];
        const started = Date.now();
        const carol = { login: 'carol', passcode: PASSWORD('carol') };
        for (let i = 0; i < 26; i++) {
          try {
            await (await stompjsFrom(GOOD, tcpPort, { connectHeaders: carol }, clients)).close();
          } catch (err) {
            failures.push((err as Error).message);
          }
        }
        await expectServed(tcpPort, clients, carol);
        console.log(`      26 good logins in ${Date.now() - started} ms while the flooder tried ${attempts} connections`);
        expect(failures, 'good logins that failed').to.deep.equal([]);
      } finally {
        stop = true;
        await Promise.all(loops);
      }
      expect(attempts, 'the loops kept reconnecting').to.be.greaterThan(96);
      expect(broker.connections.stats().refusedBy.unauthenticatedPerAddress).to.be.greaterThan(0);
    });
  });
});
