/**
 * Core's transports under the STOMP adapter, over real sockets: a client may pipeline a whole
 * session and half-close at once, even while its CONNECT is still being authenticated, and still
 * gets every answer (TCP and TLS sockets are accepted half-open capable).
 */
import { expect } from 'chai';
import { definePlugin, type PluginEntry } from '@wharf/core';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame } from './helpers.js';

/** An authenticator that takes its time, as one that checks a password hash does. */
const slowAuthentication = definePlugin({ kind: 'security', name: 'e2e-slow-authentication', core: '>=0.1.0' }, (ctx) => {
  ctx.authenticator({
    name: 'slow',
    authenticate: async (c) => {
      await new Promise((r) => setTimeout(r, 30));
      return c.login ? { principal: { name: c.login, groups: [], anonymous: false } } : { rejected: true };
    },
  });
});

describe('e2e: transports', function () {
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => { e2e = await startE2eBroker({ plugins: [...STANDARD_PLUGINS, slowAuthentication as unknown as PluginEntry] }); });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  const session = (q: string): Buffer => Buffer.concat([
    frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', login: 'bob', passcode: 'x' }),
    frame('SUBSCRIBE', { id: 's', destination: q }),
    frame('SEND', { destination: q, receipt: 'sent' }, 'pipelined'),
    frame('DISCONNECT', { receipt: 'bye' }),
  ]);

  for (const transport of ['tcp', 'tls'] as const) {
    it(`answers a pipelined session whose client half-closes during authentication (${transport})`, async () => {
      const raw = transport === 'tcp'
        ? await RawConnection.open(e2e.tcpPort, clients)
        : await RawConnection.openTls(e2e.tlsPort, { servername: 'localhost', rejectUnauthorized: false }, clients);
      raw.write(session(`/queue/half-closed-${transport}`));
      raw.socket.end(); // our last byte: the broker still answers, then closes
      await raw.waitClosed();
      expect(raw.frames.map((f) => f.command)).to.deep.equal(['CONNECTED', 'MESSAGE', 'RECEIPT', 'RECEIPT']);
      expect(raw.frames[1]!.body.toString()).to.equal('pipelined');
      expect(raw.frames.slice(2).map((f) => f.headers['receipt-id'])).to.deep.equal(['sent', 'bye']);
      expect(raw.ended, 'the broker ended its side').to.equal(true);
    });
  }

  it('refuses a half-closed client whose credentials are bad with an ERROR, then closes', async () => {
    const raw = await RawConnection.open(e2e.tcpPort, clients);
    raw.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }));
    raw.socket.end();
    await raw.waitClosed();
    expect(raw.frames.map((f) => f.command)).to.deep.equal(['ERROR']);
    expect(raw.frames[0]!.headers['message']).to.equal('bad credentials');
  });
});
