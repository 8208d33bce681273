import { expect } from 'chai';
import { delay, expectBrokerWorks, header, startStompBroker, type StompTestBroker } from './helpers.js';

describe('STOMP session: protocol errors (STOMP 1.2 §ERROR)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker({
      routing: { rules: [{ match: '^/queue/tiny$', type: 'queue', options: { maxLength: 1, overflow: 'reject' } }] },
    });
  });
  afterEach(async () => {
    await env.stop();
  });

  it('answers an unknown command with an ERROR carrying the receipt-id, then closes', async () => {
    const client = await env.connect();
    client.send('PUBLISH', { destination: '/queue/a', receipt: 'u' }, 'x');
    const error = await client.expectError({ message: /unknown command "PUBLISH"/, receiptId: 'u' });
    expect(error.body.toString()).to.include('unknown command');
    await expectBrokerWorks(env);
  });

  it('answers an unknown command before CONNECT the same way', async () => {
    const client = env.open();
    client.send('HELLO', {});
    await client.expectError({ message: /unknown command/ });
  });

  it('treats lower-case commands as unknown', async () => {
    const client = await env.connect();
    client.send('send', { destination: '/queue/a' }, 'x');
    await client.expectError({ message: /unknown command "send"/ });
  });

  it('refuses a header line without a colon', async () => {
    const client = await env.connect();
    client.sendRaw('SEND\nreceipt:nc\ndestination /queue/a\n\nx\0');
    await client.expectError({ message: /colon/, receiptId: 'nc' });
    await expectBrokerWorks(env);
  });

  it('refuses a header line with an empty name', async () => {
    const client = await env.connect();
    client.sendRaw('SEND\n:value\n\nx\0');
    await client.expectError({ message: /empty name/ });
  });

  it('refuses a content-length that is not a number', async () => {
    const client = await env.connect();
    client.sendRaw('SEND\ndestination:/queue/a\ncontent-length:ten\n\nx\0');
    await client.expectError({ message: /content-length/ });
  });

  it('refuses a body longer than its content-length', async () => {
    const client = await env.connect();
    client.sendRaw('SEND\ndestination:/queue/a\ncontent-length:2\n\nabc\0');
    await client.expectError({ message: /NUL/ });
    expect(env.broker.mqm.lookup('/queue/a')).to.equal(undefined);
  });

  it('refuses a command line with control characters', async () => {
    const client = await env.connect();
    client.sendRaw('SE\x01ND\ndestination:/queue/a\n\nx\0');
    await client.expectError({ message: /command/ });
  });

  it('refuses binary garbage before CONNECT', async () => {
    const client = env.open();
    client.sendRaw(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x00]));
    await client.expectError();
    await expectBrokerWorks(env);
  });

  it('sends one ERROR and ignores everything after the bad frame', async () => {
    const client = await env.connect();
    client.sendRaw('BOGUS\n\n\0SEND\ndestination:/queue/after\n\nx\0BOGUS2\n\n\0');
    await client.expectError({ message: /BOGUS"/ });
    await delay(10);
    expect(env.broker.mqm.lookup('/queue/after')).to.equal(undefined);
  });

  it('refuses a receipt header that cannot be sent back in the session\'s version', async () => {
    for (const version of ['1.0', '1.1']) {
      const client = await env.connect(version === '1.0' ? {} : { 'accept-version': version });
      // A CR before the CRLF line end: the value ends with CR, which 1.0/1.1 cannot carry back.
      client.sendRaw('BEGIN\ntransaction:t\nreceipt:r\r\r\n\n\0');
      await client.expectError({ message: /receipt/ });
    }
  });

  it('passes a queue type\'s refusal on as an ERROR', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SEND', { destination: '/queue/tiny' }, '1');
    client.send('SEND', { destination: '/queue/tiny', receipt: 'full' }, '2');
    const error = await client.expectError({ message: /full/, receiptId: 'full' });
    expect(header(error, 'message')).to.include('/queue/tiny');
    expect(error.body.toString()).to.match(/hint: /);
    expect(env.broker.mqm.destinationStats('/queue/tiny').depth).to.equal(1);
    await expectBrokerWorks(env);
  });

  it('passes a bad command on as an ERROR', async () => {
    const client = await env.connect();
    client.send('SEND', { destination: '/command/no-such-verb' }, '');
    await client.expectError();
  });

  it('keeps the ERROR message header on one line', async () => {
    const client = await env.connect();
    client.send('SEND', { destination: '/command/no-such-verb' }, '');
    const error = await client.next('ERROR');
    expect(header(error, 'message')).to.not.match(/[\r\n]/);
  });

  it('tells subscribers of a deleted destination with an ERROR, then closes', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/doomed' });
    env.broker.mqm.deleteDestination('/queue/doomed');
    await client.expectError({ message: /deleted/ });
    await expectBrokerWorks(env);
  });

  it('cuts a client that does not read its ERROR after a grace period', async function () {
    this.timeout(5000);
    const client = await env.connect();
    client.stream.pause();
    client.send('BOGUS', {});
    await client.waitClosed(4000);
    expect(env.adapter.connectionCount).to.equal(0);
  });

  it('leaves other connections untouched while one fails', async () => {
    const steady = await env.connect();
    await steady.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/steady' });
    const bad = await env.connect();
    bad.send('BOGUS', {});
    await bad.expectError();
    const producer = await env.connect();
    producer.send('SEND', { destination: '/queue/steady' }, 'still here');
    expect((await steady.next('MESSAGE')).body.toString()).to.equal('still here');
  });
});
