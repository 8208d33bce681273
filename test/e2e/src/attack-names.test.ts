/**
 * Attack suite, issue 15 items 5 and 9, over real sockets:
 * - names that are not UTF-8 (STOMP 1.2 §Value Encoding: headers are UTF-8) get an ERROR and a close, so that
 *   `/queue/home.bob.\xff` and `/queue/home.bob.\xfe` can never be decoded into one queue name;
 * - a WebSocket upgrade whose sub-protocols name no STOMP version is refused with an HTTP 400 (RFC 6455 §4.2.2);
 *   one offering a STOMP version, or none at all, is accepted.
 */
import { expect } from 'chai';
import WebSocket from 'ws';
import { startE2eBroker, type E2eBroker } from './broker.js';
import { FrameReader, RawConnection, Tracker, frame, stompOverTcp, unique, waitFor } from './helpers.js';

/** A frame written by hand so that a header value can end in raw bytes: `name:prefix` then `bytes`. */
function frameWithBytes(command: string, headers: Record<string, string>, name: string, prefix: string, bytes: number[]): Buffer {
  const lines = [command, ...Object.entries(headers).map(([k, v]) => `${k}:${v}`)].join('\n');
  return Buffer.concat([Buffer.from(`${lines}\n${name}:${prefix}`), Buffer.from(bytes), Buffer.from('\n\n\0')]);
}

const CONNECT = frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' });

describe('e2e: attack — destination names and WebSocket sub-protocols (issue 15)', function () {
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => { e2e = await startE2eBroker(); });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  /** A raw TCP client past CONNECTED. */
  async function rawSession(): Promise<RawConnection> {
    const raw = await RawConnection.open(e2e.tcpPort, clients);
    raw.write(CONNECT);
    await raw.waitFrame('CONNECTED');
    return raw;
  }

  /** Checks that a well-behaved client on another connection still subscribes, sends and receives. */
  async function expectOthersServed(): Promise<void> {
    const good = await stompOverTcp(e2e.tcpPort, {}, clients);
    const destination = unique('/queue/still-served');
    const inbox = await good.subscribe(destination);
    await good.publishConfirmed(destination, 'still here');
    expect((await inbox.waitCount(1))[0]!.body).to.equal('still here');
  }

  describe('names that are not UTF-8', () => {
    it('answers a SUBSCRIBE to /queue/home.bob.\\xff with an ERROR saying so, then closes; others keep working', async () => {
      const raw = await rawSession();
      raw.write(frameWithBytes('SUBSCRIBE', { id: 's', receipt: 'r-sub' }, 'destination', '/queue/home.bob.', [0xff]));
      const error = await raw.waitFrame('ERROR');
      expect(error.headers['message']).to.match(/"destination" is not valid UTF-8/);
      expect(error.headers['receipt-id']).to.equal('r-sub');
      await raw.waitClosed();
      expect(raw.frames.map((f) => f.command)).to.deep.equal(['CONNECTED', 'ERROR']);
      expect(e2e.broker.mqm.lookup('/queue/home.bob.\uFFFD')).to.equal(undefined);
      await expectOthersServed();
    });

    it('never lets \\xfe reach the queue a \\xff would have aliased: a SEND is refused, nothing is delivered', async () => {
      const reader = await stompOverTcp(e2e.tcpPort, {}, clients);
      const inbox = await reader.subscribe('/queue/home.bob.\uFFFD');
      const raw = await rawSession();
      raw.write(frameWithBytes('SEND', { receipt: 'r-send' }, 'destination', '/queue/home.bob.', [0xfe]));
      expect((await raw.waitFrame('ERROR')).headers['message']).to.match(/not valid UTF-8/);
      await raw.waitClosed();
      // Had the bad SEND been decoded, its message would arrive before this one.
      await reader.publishConfirmed('/queue/home.bob.\uFFFD', 'marker');
      await inbox.waitCount(1);
      expect(inbox.messages.map((m) => m.body)).to.deep.equal(['marker']);
    });

    it('refuses any header that is not UTF-8 (reply-to, a custom one), and a truncated sequence, on SEND', async () => {
      const reader = await stompOverTcp(e2e.tcpPort, {}, clients);
      const inbox = await reader.subscribe('/queue/fine');
      for (const [name, bytes] of [['reply-to', [0x80]], ['x-note', [0xe2, 0x82]]] as const) {
        const raw = await rawSession();
        raw.write(frameWithBytes('SEND', { destination: '/queue/fine' }, name, '/queue/r.', [...bytes]));
        expect((await raw.waitFrame('ERROR')).headers['message'], name).to.include(`"${name}" is not valid UTF-8`);
        await raw.waitClosed();
      }
      // Had a bad SEND been accepted, its message would arrive before this one.
      await reader.publishConfirmed('/queue/fine', 'marker');
      await inbox.waitCount(1);
      expect(inbox.messages.map((m) => m.body)).to.deep.equal(['marker']);
    });

    it('refuses the same SUBSCRIBE sent in a binary WebSocket message', async () => {
      const ws = new WebSocket(e2e.wsUrl, ['v12.stomp']);
      clients.track({ close: () => ws.terminate() });
      const reader = new FrameReader();
      let closed = false;
      ws.on('message', (data: Buffer) => reader.push(Buffer.from(data)));
      ws.on('close', () => { closed = true; });
      await new Promise<void>((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
      ws.send(CONNECT);
      await waitFor(() => reader.frames.length > 0, 5000, 'CONNECTED');
      ws.send(frameWithBytes('SUBSCRIBE', { id: 's' }, 'destination', '/queue/home.bob.', [0xff]));
      await waitFor(() => closed, 5000, 'the broker to close the WebSocket');
      expect(reader.frames.map((f) => f.command)).to.deep.equal(['CONNECTED', 'ERROR']);
      expect(reader.frames[1]!.headers['message']).to.match(/"destination" is not valid UTF-8/);
    });
  });

  describe('WebSocket sub-protocols', () => {
    /** Opens a WebSocket offering `protocols`: the sub-protocol agreed, or the HTTP refusal. */
    function upgrade(protocols: string[] | undefined): Promise<{ protocol: string; ws: WebSocket } | { status: number; body: string }> {
      return new Promise((resolve, reject) => {
        const ws = protocols === undefined ? new WebSocket(e2e.wsUrl) : new WebSocket(e2e.wsUrl, protocols);
        clients.track({ close: () => ws.terminate() });
        ws.once('open', () => resolve({ protocol: ws.protocol, ws }));
        ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => { body += chunk; });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.once('error', reject);
      });
    }

    /** CONNECT over an accepted WebSocket gets CONNECTED: the endpoint speaks STOMP on it. */
    async function expectStomp(ws: WebSocket): Promise<void> {
      const reader = new FrameReader();
      ws.on('message', (data: Buffer) => reader.push(Buffer.from(data)));
      ws.send(CONNECT);
      await waitFor(() => reader.frames.length > 0, 5000, 'CONNECTED');
      expect(reader.frames[0]!.command).to.equal('CONNECTED');
    }

    it('refuses an upgrade offering only mqtt with an HTTP 400 that names the accepted sub-protocols', async () => {
      const answer = await upgrade(['mqtt']);
      expect(answer).to.have.property('status', 400);
      expect((answer as { body: string }).body).to.include('v12.stomp, v11.stomp, v10.stomp');
      await expectOthersServed();
    });

    it('accepts an upgrade offering v12.stomp, and picks the best STOMP version from a mixed list', async () => {
      const only = await upgrade(['v12.stomp']);
      expect(only).to.have.property('protocol', 'v12.stomp');
      await expectStomp((only as { ws: WebSocket }).ws);
      const mixed = await upgrade(['mqtt', 'v10.stomp', 'v11.stomp']);
      expect(mixed).to.have.property('protocol', 'v11.stomp');
    });

    it('accepts an upgrade offering no sub-protocol at all', async () => {
      const none = await upgrade(undefined);
      expect(none).to.have.property('protocol', '');
      await expectStomp((none as { ws: WebSocket }).ws);
    });
  });
});
