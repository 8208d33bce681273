/**
 * STOMP over WebSocket: @stomp/stompjs with a `ws` socket, and a raw `ws` client sending crafted
 * bytes — one frame spread over several WebSocket messages, several frames in one message.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { startE2eBroker, type E2eBroker } from './broker.js';
import { FrameReader, Tracker, WS_PROTOCOLS, frame, stompOverTcp, stompOverWs, unique, waitFor, type StompClient } from './helpers.js';

/** A raw WebSocket client that records the STOMP frames the broker sends. */
class RawWs {
  readonly reader = new FrameReader();
  closed = false;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.reader.push(Buffer.from(data)));
    ws.on('close', () => { this.closed = true; });
    ws.on('error', () => undefined);
  }

  static open(url: string, protocols: string[], tracker: Tracker): Promise<RawWs> {
    const ws = new WebSocket(url, protocols);
    const raw = new RawWs(ws);
    tracker.track({ close: () => ws.terminate() });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(raw));
      ws.once('error', reject);
    });
  }

  /** Sends each piece as its own WebSocket message, in order. */
  send(...pieces: Buffer[]): void {
    for (const piece of pieces) this.ws.send(piece);
  }

  async waitFrames(command: string, count: number): Promise<void> {
    await waitFor(() => this.reader.byCommand(command).length >= count || this.closed, 5000, `${count} ${command} frame(s)`);
    expect(this.reader.byCommand(command), `frames: ${this.reader.frames.map((f) => `${f.command} ${f.headers['message'] ?? ''}`).join(', ')}`)
      .to.have.length.of.at.least(count);
  }
}

/** Cuts `bytes` into pieces of the given sizes (the rest in the last piece). */
function split(bytes: Buffer, ...sizes: number[]): Buffer[] {
  const pieces: Buffer[] = [];
  let at = 0;
  for (const size of sizes) {
    pieces.push(bytes.subarray(at, at + size));
    at += size;
  }
  pieces.push(bytes.subarray(at));
  return pieces.filter((p) => p.length > 0);
}

describe('e2e: @stomp/stompjs over WebSocket', function () {
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => {
    e2e = await startE2eBroker({
      routing: { rules: [{ match: '^/topic/slow-', type: 'topic', options: { maxPendingMessages: 5 } }] },
    }, { writeHighWaterMark: 64 * 1024 });
  });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  const connect = (onSocket?: (ws: WebSocket) => void): Promise<StompClient> => stompOverWs(e2e.wsUrl, {}, clients, onSocket);

  it('negotiates the v12.stomp sub-protocol and STOMP 1.2', async () => {
    let socket: WebSocket | undefined;
    const c = await connect((ws) => { socket = ws; });
    expect(socket!.protocol).to.equal('v12.stomp');
    expect(c.version).to.equal('1.2');
    expect(c.connectedFrame.headers['server']).to.match(/^wharf\//);
  });

  it('picks the sub-protocol the client offers when it offers only an older one', async () => {
    const raw = await RawWs.open(e2e.wsUrl, ['v11.stomp'], clients);
    expect(raw.ws.protocol).to.equal('v11.stomp');
  });

  it('refuses a WebSocket that offers only sub-protocols that are not STOMP', async () => {
    const ws = new WebSocket(e2e.wsUrl, ['mqtt']);
    clients.track({ close: () => ws.terminate() });
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve(`open with ${ws.protocol}`));
      ws.once('error', (err) => resolve(`error: ${err.message}`));
    });
    expect(outcome).to.match(/^error/);
  });

  it('sends and receives on a queue', async () => {
    const q = unique('/queue/ws');
    const consumer = await connect();
    const sub = await consumer.subscribe(q);
    const producer = await connect();
    for (let i = 0; i < 5; i++) producer.client.publish({ destination: q, body: `w${i}`, headers: { 'x-n': String(i) } });
    await sub.waitCount(5);
    expect(sub.bodies).to.deep.equal(['w0', 'w1', 'w2', 'w3', 'w4']);
    expect(sub.messages.map((m) => m.headers['x-n'])).to.deep.equal(['0', '1', '2', '3', '4']);
  });

  it('carries a binary body with NUL bytes intact', async () => {
    const q = unique('/queue/ws-binary');
    const body = new Uint8Array(300);
    for (let i = 0; i < body.length; i++) body[i] = i % 256;
    body[150] = 0;
    const consumer = await connect();
    const sub = await consumer.subscribe(q);
    const producer = await connect();
    await producer.publishConfirmed(q, body);
    await sub.waitCount(1);
    expect(sub.messages[0]!.headers['content-length']).to.equal('300');
    expect(Buffer.from(sub.messages[0]!.binaryBody).equals(Buffer.from(body))).to.equal(true);
  });

  it('carries a 4 MiB body in both directions', async () => {
    const q = unique('/queue/ws-big');
    const body = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < body.length; i += 1000) body[i] = (i / 1000) % 256;
    const consumer = await connect();
    const sub = await consumer.subscribe(q);
    const producer = await connect();
    await producer.publishConfirmed(q, body);
    await sub.waitCount(1, 15000);
    expect(Buffer.from(sub.messages[0]!.binaryBody).equals(Buffer.from(body))).to.equal(true);
  });

  it('works between a WebSocket client and a TCP client on the same destination', async () => {
    const q = unique('/queue/mixed');
    const consumer = await connect();
    const sub = await consumer.subscribe(q);
    const producer = await stompOverTcp(e2e.tcpPort, {}, clients);
    await producer.publishConfirmed(q, 'across');
    await sub.waitCount(1);
    expect(sub.bodies).to.deep.equal(['across']);
  });

  it('releases the session of a WebSocket client that vanishes without closing', async () => {
    let socket: WebSocket | undefined;
    const c = await connect((ws) => { socket = ws; });
    const session = c.connectedFrame.headers['session']!;
    await c.subscribe(unique('/queue/vanish'));
    expect(e2e.broker.mqm.listSessions().map((s) => s.id)).to.include(session);
    socket!.terminate();
    await waitFor(() => !e2e.broker.mqm.listSessions().some((s) => s.id === session), 5000, 'the session to be released');
  });

  it('disconnects a WebSocket subscriber that stops reading, while another keeps receiving', async function () {
    this.timeout(30000);
    const t = unique('/topic/slow-ws');
    const slow = await RawWs.open(e2e.wsUrl, WS_PROTOCOLS, clients);
    slow.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }), frame('SUBSCRIBE', { id: 's', destination: t, receipt: 'sub' }));
    await slow.waitFrames('RECEIPT', 1);
    slow.ws.pause(); // stop reading the socket
    const fast = await (await connect()).subscribe(t);
    const producer = await connect();
    const body = 'y'.repeat(16 * 1024);
    const stats = () => e2e.broker.mqm.destinationStats(t);
    let sent = 0;
    while (stats().subscribers === 2 && sent < 4096) {
      for (let i = 0; i < 32; i++) producer.client.publish({ destination: t, body: `${sent++}:${body}` });
      await producer.publishConfirmed(unique('/topic/none'), '');
    }
    expect(stats().subscribers, `after ${sent} messages`).to.equal(1);
    await fast.waitCount(sent, 20000);
    expect(fast.bodies.map((b) => Number(b.slice(0, b.indexOf(':'))))).to.deep.equal([...Array(sent).keys()]);
    slow.ws.resume();
    await slow.waitFrames('ERROR', 1);
    expect(slow.reader.byCommand('ERROR')[0]!.headers['message']).to.contain('too slow');
    await waitFor(() => slow.closed, 5000, 'the slow WebSocket to close');
  });

  it('reads a frame spread over several WebSocket messages', async () => {
    const q = unique('/queue/split');
    const raw = await RawWs.open(e2e.wsUrl, WS_PROTOCOLS, clients);
    const connectFrame = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    raw.send(...split(connectFrame, 3, 5, 10)); // CONN | ECT\na | ccept-vers | ...
    await raw.waitFrames('CONNECTED', 1);
    raw.send(...split(frame('SUBSCRIBE', { id: 's1', destination: q, receipt: 'sub' }), 1, 1, 1, 20));
    await raw.waitFrames('RECEIPT', 1);
    const body = Buffer.from('body with a \0 NUL inside');
    const send = frame('SEND', { destination: q, 'x-split': 'yes' }, body);
    // Every byte its own WebSocket message, the NUL of the body and the frame's end included.
    raw.send(...[...send].map((b) => Buffer.from([b])));
    await raw.waitFrames('MESSAGE', 1);
    const message = raw.reader.byCommand('MESSAGE')[0]!;
    expect(message.body.equals(body)).to.equal(true);
    expect(message.headers['x-split']).to.equal('yes');
    expect(raw.reader.byCommand('ERROR')).to.have.length(0);
  });

  it('reads several frames sent in one WebSocket message', async () => {
    const q = unique('/queue/batched');
    const raw = await RawWs.open(e2e.wsUrl, WS_PROTOCOLS, clients);
    raw.send(Buffer.concat([
      frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }),
      frame('SUBSCRIBE', { id: 's1', destination: q }),
      frame('SEND', { destination: q }, 'one'),
      Buffer.from('\n'), // a heart-beat EOL between frames
      frame('SEND', { destination: q }, 'two'),
      frame('SEND', { destination: q, receipt: 'last' }, 'three', false),
    ]));
    await raw.waitFrames('MESSAGE', 3);
    await raw.waitFrames('RECEIPT', 1);
    expect(raw.reader.frames[0]!.command).to.equal('CONNECTED');
    expect(raw.reader.byCommand('MESSAGE').map((m) => m.body.toString())).to.deep.equal(['one', 'two', 'three']);
    expect(raw.reader.byCommand('ERROR')).to.have.length(0);
  });

  it('answers a bad frame over WebSocket with an ERROR, then closes the WebSocket', async () => {
    const raw = await RawWs.open(e2e.wsUrl, WS_PROTOCOLS, clients);
    raw.send(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }), Buffer.from('BOGUS\n\n\0'));
    await raw.waitFrames('ERROR', 1);
    expect(raw.reader.byCommand('ERROR')[0]!.headers['message']).to.contain('BOGUS');
    await waitFor(() => raw.closed, 5000, 'the WebSocket to close');
  });
});
