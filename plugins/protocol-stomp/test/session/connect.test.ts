import { expect } from 'chai';
import { CORE_VERSION } from '@wharf/core';
import { expectBrokerWorks, header, startStompBroker, type StompTestBroker } from './helpers.js';

describe('STOMP session: CONNECT (STOMP 1.2 §Connecting)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('answers CONNECT with CONNECTED carrying version, session, server and heart-beat', async () => {
    const client = env.open();
    const connected = await client.connect({ 'accept-version': '1.2', host: 'localhost' });
    expect(header(connected, 'version')).to.equal('1.2');
    const sessions = env.broker.mqm.listSessions();
    expect(sessions).to.have.length(1);
    expect(header(connected, 'session')).to.equal(sessions[0]!.id);
    expect(header(connected, 'server')).to.equal(`wharf/${CORE_VERSION}`);
    expect(header(connected, 'heart-beat')).to.match(/^\d+,\d+$/);
  });

  it('answers the STOMP command like CONNECT', async () => {
    const client = env.open();
    const connected = await client.connect({ 'accept-version': '1.2', host: 'localhost' }, 'STOMP');
    expect(header(connected, 'version')).to.equal('1.2');
  });

  it('speaks 1.0 when accept-version is absent', async () => {
    const client = env.open();
    const connected = await client.connect({ login: 'x', passcode: 'y' });
    expect(header(connected, 'session')).to.be.a('string');
    // A 1.0 CONNECTED need not carry a version; if it does, it says 1.0.
    expect(header(connected, 'version') ?? '1.0').to.equal('1.0');
    expect(client.version).to.equal('1.0');
  });

  it('picks the highest version both sides speak', async () => {
    for (const [offer, chosen] of [['1.1,1.2', '1.2'], ['1.0,1.1', '1.1'], ['1.0', '1.0'], ['1.2,2.0', '1.2'], ['1.1, 1.0', '1.1']] as const) {
      const client = env.open();
      const connected = await client.connect({ 'accept-version': offer, host: 'localhost' });
      expect(header(connected, 'version'), offer).to.equal(chosen);
    }
  });

  it('refuses a version it does not speak with an ERROR listing its versions, then closes', async () => {
    const client = env.open();
    client.send('CONNECT', { 'accept-version': '2.0', host: 'localhost' });
    const error = await client.expectError({ message: /version/i });
    expect(header(error, 'version')).to.equal('1.0,1.1,1.2');
    expect(env.broker.mqm.listSessions()).to.deep.equal([]);
    await expectBrokerWorks(env);
  });

  it('reports the version refusal even when frames follow the CONNECT at once', async () => {
    const client = env.open();
    client.sendRaw('CONNECT\naccept-version:2.0\n\n\0SEND\ndestination:/queue/a\n\nx\0');
    const error = await client.expectError({ message: /version/i });
    expect(header(error, 'version')).to.equal('1.0,1.1,1.2');
  });

  it('accepts any host header as given', async () => {
    const client = env.open();
    const connected = await client.connect({ 'accept-version': '1.2', host: 'some.virtual.host' });
    expect(header(connected, 'version')).to.equal('1.2');
  });

  it('accepts a connection without a host header', async () => {
    const client = env.open();
    await client.connect({ 'accept-version': '1.2' });
  });

  it('refuses a frame before CONNECT with an ERROR, then closes', async () => {
    const client = env.open();
    client.send('SEND', { destination: '/queue/a', receipt: 'early' }, 'x');
    await client.expectError({ message: /CONNECT/, receiptId: 'early' });
    await expectBrokerWorks(env);
  });

  it('refuses a second CONNECT with an ERROR, then closes', async () => {
    const client = await env.connect();
    client.send('CONNECT', { 'accept-version': '1.2', host: 'localhost' });
    await client.expectError({ message: /already connected/ });
    expect(env.broker.mqm.listSessions()).to.deep.equal([]);
    await expectBrokerWorks(env);
  });

  it('refuses an invalid heart-beat header', async () => {
    const client = env.open();
    client.send('CONNECT', { 'accept-version': '1.2', 'heart-beat': 'soon' });
    await client.expectError({ message: /heart-beat/ });
  });

  it('processes frames pipelined behind CONNECT, in order, after CONNECTED', async () => {
    const client = env.open();
    // One write: CONNECT, SUBSCRIBE, two SENDs with escaped headers, all before CONNECTED is read.
    client.sendRaw(
      'CONNECT\naccept-version:1.2\nhost:h\n\n\0'
      + 'SUBSCRIBE\nid:s1\ndestination:/queue/pipelined\nreceipt:sub\n\n\0'
      + 'SEND\ndestination:/queue/pipelined\nnote:a\\cb\n\none\0'
      + 'SEND\ndestination:/queue/pipelined\nreceipt:sent\n\ntwo\0',
    );
    const connected = await client.next('CONNECTED');
    client.version = '1.2';
    expect(header(connected, 'version')).to.equal('1.2');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('sub');
    const one = await client.next('MESSAGE');
    expect(one.body.toString()).to.equal('one');
    // The pipelined SEND was read as a 1.2 frame: its escape was undone.
    expect(header(one, 'note')).to.equal('a:b');
    expect((await client.next('MESSAGE')).body.toString()).to.equal('two');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('sent');
  });

  it('does not unescape CONNECT headers (STOMP 1.2 §Value Encoding)', async () => {
    const seen: Array<string | undefined> = [];
    const { definePlugin } = await import('@wharf/core');
    const recorder = definePlugin({ kind: 'security', name: 'recorder', core: '^0.1.0' }, (ctx) => {
      ctx.authenticator({
        name: 'recorder',
        authenticate: (credentials) => {
          seen.push(credentials.passcode);
          return { principal: { name: credentials.login ?? 'x', groups: [], anonymous: false } };
        },
      });
    });
    const secured = await startStompBroker({}, [recorder]);
    try {
      const client = secured.open();
      client.sendRaw('CONNECT\naccept-version:1.2\nlogin:a\\cb\npasscode:p:q\\n\n\n\0');
      await client.next('CONNECTED');
      expect(seen).to.deep.equal(['p:q\\n']);
      expect(secured.broker.mqm.listSessions()[0]!.user).to.equal('a\\cb');
    } finally {
      await secured.stop();
    }
  });

  it('ends the session when the client closes the stream', async () => {
    const client = await env.connect();
    expect(env.broker.mqm.sessionCount).to.equal(1);
    client.stream.end();
    await client.waitClosed();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(env.broker.mqm.sessionCount).to.equal(0);
    expect(env.adapter.connectionCount).to.equal(0);
  });

  it('says goodbye with an ERROR when the adapter shuts down', async () => {
    const client = await env.connect();
    await env.adapter.shutdown();
    await client.expectError({ message: /shutting down/ });
  });
});
