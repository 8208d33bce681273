import { expect } from 'chai';
import { expectBrokerWorks, header, headerValues, startStompBroker, type StompTestBroker } from './helpers.js';

describe('STOMP session: headers (STOMP 1.2 §Value Encoding, §Repeated Header Entries)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('1.2: CR, LF, colon and backslash round-trip from SEND to MESSAGE', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/esc' });
    const tricky = 'a\r\nb:c\\d';
    // Written by hand: the escapes as the wire carries them.
    client.sendRaw('SEND\ndestination:/queue/esc\nx-tricky:a\\r\\nb\\cc\\\\d\nx\\cname:v\n\n\0');
    const message = await client.next('MESSAGE');
    expect(header(message, 'x-tricky')).to.equal(tricky);
    expect(header(message, 'x:name')).to.equal('v');
    // ... and the MESSAGE carried them escaped.
    expect(client.rawText).to.include('x-tricky:a\\r\\nb\\cc\\\\d\n');
    expect(client.rawText).to.include('x\\cname:v\n');
  });

  it('1.2: an undefined escape is a fatal error', async () => {
    const client = await env.connect();
    client.sendRaw('SEND\ndestination:/queue/a\nreceipt:bad-escape\nx:tab\\there\n\nx\0');
    await client.expectError({ message: /escape/, receiptId: 'bad-escape' });
    await expectBrokerWorks(env);
  });

  it('1.2: a backslash at the end of a value is a fatal error', async () => {
    const client = await env.connect();
    client.sendRaw('SEND\ndestination:/queue/a\nx:end\\\n\nx\0');
    await client.expectError({ message: /escape/ });
  });

  it('1.1: \\r is not an escape', async () => {
    const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
    client.sendRaw('SEND\ndestination:/queue/a\nx:a\\rb\n\nx\0');
    await client.expectError({ message: /escape/ });
  });

  it('1.1: LF, colon and backslash escapes round-trip', async () => {
    const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/esc11' });
    client.sendRaw('SEND\ndestination:/queue/esc11\nx:a\\nb\\cc\\\\d\n\n\0');
    const message = await client.next('MESSAGE');
    expect(header(message, 'x')).to.equal('a\nb:c\\d');
  });

  it('1.0: headers are not escaped in either direction', async () => {
    const client = await env.connect({});
    await client.sendWithReceipt('SUBSCRIBE', { destination: '/queue/raw' });
    client.sendRaw('SEND\ndestination:/queue/raw\nx-raw:a\\cb\\t\nx-colon:k:v\n\n\0');
    const message = await client.next('MESSAGE');
    expect(header(message, 'x-raw')).to.equal('a\\cb\\t');
    expect(header(message, 'x-colon')).to.equal('k:v');
    expect(client.rawText).to.include('x-raw:a\\cb\\t\n');
    expect(client.rawText).to.include('x-colon:k:v\n');
  });

  it('delivers a 1.2 header with a line break to a 1.0 subscriber in a form 1.0 can carry', async () => {
    const old = await env.connect({});
    await old.sendWithReceipt('SUBSCRIBE', { destination: '/topic/mixed' });
    const modern = await env.connect();
    modern.send('SEND', { destination: '/topic/mixed', 'x-lines': 'one\ntwo' }, 'body');
    const message = await old.next('MESSAGE');
    expect(message.body.toString()).to.equal('body');
    expect(header(message, 'x-lines')).to.not.include('\n');
  });

  it('delivers a 1.2 header name with a colon to a 1.0 subscriber in a form 1.0 can carry', async () => {
    const old = await env.connect({});
    await old.sendWithReceipt('SUBSCRIBE', { destination: '/topic/names' });
    const modern = await env.connect();
    modern.send('SEND', { destination: '/topic/names', 'x:name': 'v', plain: 'p' }, 'body');
    const message = await old.next('MESSAGE');
    expect(header(message, 'plain')).to.equal('p');
    expect(message.headers.map(([n]) => n).filter((n) => n.startsWith('x'))).to.have.length(1);
  });

  it('uses the first of repeated headers and passes only that one on', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/first' });
    client.sendRaw('SEND\ndestination:/queue/first\ndestination:/queue/second\nx:1\nx:2\n\n\0');
    const message = await client.next('MESSAGE');
    expect(header(message, 'destination')).to.equal('/queue/first');
    expect(headerValues(message, 'x')).to.deep.equal(['1']);
    expect(env.broker.mqm.lookup('/queue/second')).to.equal(undefined);
  });

  it('uses the first of repeated receipt headers', async () => {
    const client = await env.connect();
    client.sendRaw('BEGIN\ntransaction:t\nreceipt:one\nreceipt:two\n\n\0');
    const receipt = await client.next('RECEIPT');
    expect(headerValues(receipt, 'receipt-id')).to.deep.equal(['one']);
  });

  it('accepts CRLF line ends everywhere', async () => {
    const client = env.open();
    client.sendRaw('CONNECT\r\naccept-version:1.2\r\nhost:h\r\n\r\n\0\r\n');
    await client.next('CONNECTED');
    client.version = '1.2';
    client.sendRaw('SUBSCRIBE\r\nid:s\r\ndestination:/queue/crlf\r\n\r\n\0\r\n');
    client.sendRaw('SEND\r\ndestination:/queue/crlf\r\nx:y\r\ncontent-length:2\r\n\r\nok\0\r\n');
    const message = await client.next('MESSAGE');
    expect(header(message, 'x')).to.equal('y');
    expect(header(message, 'destination')).to.equal('/queue/crlf');
    expect(message.body.toString()).to.equal('ok');
  });

  it('keeps UTF-8 header text intact', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/utf8' });
    client.send('SEND', { destination: '/queue/utf8', 'x-name': 'Grüße, 世界 🚢' }, 'x');
    expect(header(await client.next('MESSAGE'), 'x-name')).to.equal('Grüße, 世界 🚢');
  });

  describe('names that are not UTF-8 (STOMP 1.2 §Value Encoding: headers are UTF-8)', () => {
    /** A frame whose `destination` is `/queue/home.bob.` and then the byte `last`. */
    function withBadDestination(command: string, extra: string, last: number): Buffer {
      return Buffer.concat([Buffer.from(`${command}\n${extra}destination:/queue/home.bob.`), Buffer.from([last]), Buffer.from('\n\n\0')]);
    }

    it('answers a SUBSCRIBE to /queue/home.bob.\\xff with an ERROR and a close, and creates nothing', async () => {
      const client = await env.connect();
      client.sendRaw(withBadDestination('SUBSCRIBE', 'id:s\nreceipt:r-sub\n', 0xff));
      await client.expectError({ message: /"destination" is not valid UTF-8/, receiptId: 'r-sub' });
      expect(env.broker.mqm.lookup('/queue/home.bob.\uFFFD')).to.equal(undefined);
      await expectBrokerWorks(env);
    });

    it('answers a SEND to /queue/home.bob.\\xfe the same way, so \\xfe and \\xff never name one queue', async () => {
      const reader = await env.connect();
      await reader.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/home.bob.\uFFFD' });
      const client = await env.connect();
      client.sendRaw(withBadDestination('SEND', '', 0xfe));
      await client.expectError({ message: /not valid UTF-8/ });
      // Had the bad SEND been decoded, its message would reach the reader before this one.
      const good = await env.connect();
      await good.sendWithReceipt('SEND', { destination: '/queue/home.bob.\uFFFD' }, 'marker');
      expect((await reader.next('MESSAGE')).body.toString()).to.equal('marker');
    });

    it('refuses a CONNECT whose login is not UTF-8', async () => {
      const client = env.open();
      client.sendRaw(Buffer.concat([Buffer.from('CONNECT\naccept-version:1.2\nhost:h\nlogin:b'), Buffer.from([0xc3]), Buffer.from('\n\n\0')]));
      await client.expectError({ message: /"login" is not valid UTF-8/ });
    });
  });
});
