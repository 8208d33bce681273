import { expect } from 'chai';
import { expectBrokerWorks, header, headerValues, startStompBroker, type StompTestBroker } from './helpers.js';

describe('STOMP session: SEND, SUBSCRIBE, UNSUBSCRIBE (STOMP 1.2 §SEND, §SUBSCRIBE, §MESSAGE)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker({ pubsub: { '/pubsub/orders': { children: ['/queue/orders-a', '/queue/orders-b'] } } });
  });
  afterEach(async () => {
    await env.stop();
  });

  it('delivers a SEND to a queue subscriber as a MESSAGE with the broker and sender headers', async () => {
    const consumer = await env.connect();
    const producer = await env.connect();
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 'sub-1', destination: '/queue/a' });
    producer.send('SEND', [
      ['destination', '/queue/a'], ['content-type', 'text/plain;charset=utf-8'], ['x-trace', 't-1'],
      ['receipt', 'r1'], ['persistent', 'false'],
    ], 'hello');
    expect(header(await producer.next('RECEIPT'), 'receipt-id')).to.equal('r1');
    const message = await consumer.next('MESSAGE');
    expect(header(message, 'destination')).to.equal('/queue/a');
    expect(header(message, 'subscription')).to.equal('sub-1');
    expect(header(message, 'message-id')).to.be.a('string').and.not.equal('');
    expect(header(message, 'content-type')).to.equal('text/plain;charset=utf-8');
    expect(header(message, 'x-trace')).to.equal('t-1');
    expect(header(message, 'content-length')).to.equal('5');
    // auto mode: no ack header; control headers are never passed on.
    for (const name of ['ack', 'receipt', 'transaction', 'login', 'passcode']) expect(header(message, name), name).to.equal(undefined);
    expect(message.body.toString()).to.equal('hello');
  });

  it('gives each message its own message-id', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/ids' });
    client.send('SEND', { destination: '/queue/ids' }, '1');
    client.send('SEND', { destination: '/queue/ids' }, '2');
    const [a, b] = await client.take(2, 'MESSAGE');
    expect(header(a!, 'message-id')).to.not.equal(header(b!, 'message-id'));
  });

  it('holds queue messages until a subscriber comes', async () => {
    const producer = await env.connect();
    await producer.sendWithReceipt('SEND', { destination: '/queue/held' }, 'kept');
    expect(env.broker.mqm.destinationStats('/queue/held').depth).to.equal(1);
    const consumer = await env.connect();
    consumer.send('SUBSCRIBE', { id: 's', destination: '/queue/held' });
    expect((await consumer.next('MESSAGE')).body.toString()).to.equal('kept');
  });

  it('never passes on the sender\'s login, passcode, receipt or transaction headers', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/control' });
    client.send('BEGIN', { transaction: 'tx' });
    client.send('SEND', { destination: '/queue/control', transaction: 'tx', login: 'u', passcode: 'p', receipt: 'r' }, 'x');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('r');
    client.send('COMMIT', { transaction: 'tx' });
    const message = await client.next('MESSAGE');
    for (const name of ['receipt', 'transaction', 'login', 'passcode']) expect(header(message, name), name).to.equal(undefined);
  });

  it('copies topic messages to every subscriber', async () => {
    const a = await env.connect();
    const b = await env.connect();
    await a.sendWithReceipt('SUBSCRIBE', { id: 'a', destination: '/topic/news' });
    await b.sendWithReceipt('SUBSCRIBE', { id: 'b', destination: '/topic/news' });
    a.send('SEND', { destination: '/topic/news' }, 'extra');
    for (const [client, id] of [[a, 'a'], [b, 'b']] as const) {
      const message = await client.next('MESSAGE');
      expect(header(message, 'subscription')).to.equal(id);
      expect(header(message, 'destination')).to.equal('/topic/news');
      expect(message.body.toString()).to.equal('extra');
    }
  });

  it('delivers pubsub copies to subscribers of its children', async () => {
    const a = await env.connect();
    const b = await env.connect();
    await a.sendWithReceipt('SUBSCRIBE', { id: 'a', destination: '/queue/orders-a' });
    await b.sendWithReceipt('SUBSCRIBE', { id: 'b', destination: '/queue/orders-b' });
    const producer = await env.connect();
    producer.send('SEND', { destination: '/pubsub/orders', 'x-order': '42' }, 'order');
    for (const client of [a, b]) {
      const message = await client.next('MESSAGE');
      expect(message.body.toString()).to.equal('order');
      expect(header(message, 'x-order')).to.equal('42');
    }
  });

  it('refuses a SUBSCRIBE to a pubsub with an ERROR naming its children, then closes', async () => {
    const client = await env.connect();
    client.send('SUBSCRIBE', { id: 's', destination: '/pubsub/orders', receipt: 'no' });
    const error = await client.expectError({ message: /\/queue\/orders-a/, receiptId: 'no' });
    expect(header(error, 'message')).to.include('/queue/orders-b');
    await expectBrokerWorks(env);
  });

  it('stops delivering after UNSUBSCRIBE', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/u' });
    await client.sendWithReceipt('UNSUBSCRIBE', { id: 's' });
    await client.sendWithReceipt('SEND', { destination: '/queue/u' }, 'later');
    await client.expectSilence(30);
    expect(env.broker.mqm.destinationStats('/queue/u').depth).to.equal(1);
  });

  it('refuses UNSUBSCRIBE of an unknown id', async () => {
    const client = await env.connect();
    client.send('UNSUBSCRIBE', { id: 'nope', receipt: 'u' });
    await client.expectError({ message: /nope/, receiptId: 'u' });
  });

  it('carries a binary body with NUL bytes by content-length', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/bin' });
    const body = Buffer.from([0, 1, 2, 0, 255, 0, 10, 0]);
    client.send('SEND', { destination: '/queue/bin', 'content-type': 'application/octet-stream' }, body);
    const message = await client.next('MESSAGE');
    expect(header(message, 'content-length')).to.equal(String(body.length));
    expect(header(message, 'content-type')).to.equal('application/octet-stream');
    expect(Buffer.compare(message.body, body)).to.equal(0);
  });

  it('carries a larger binary body, written in small pieces, unchanged', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/big' });
    const body = Buffer.alloc(200 * 1024);
    for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
    const frame = Buffer.concat([Buffer.from(`SEND\ndestination:/queue/big\ncontent-length:${body.length}\n\n`), body, Buffer.from([0])]);
    for (let i = 0; i < frame.length; i += 7001) client.sendRaw(frame.subarray(i, i + 7001));
    const message = await client.next('MESSAGE');
    expect(message.body.length).to.equal(body.length);
    expect(message.body.equals(body)).to.equal(true);
  });

  it('ends a body without content-length at the first NUL', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/nul' });
    client.sendRaw('SEND\ndestination:/queue/nul\n\nplain text\0\n\n');
    const message = await client.next('MESSAGE');
    expect(message.body.toString()).to.equal('plain text');
    expect(header(message, 'content-length')).to.equal('10');
  });

  it('accepts an empty body', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/empty' });
    client.sendRaw('SEND\ndestination:/queue/empty\n\n\0');
    const message = await client.next('MESSAGE');
    expect(message.body.length).to.equal(0);
  });

  it('requires a destination on SEND', async () => {
    const client = await env.connect();
    client.send('SEND', { receipt: 'd' }, 'x');
    await client.expectError({ message: /destination/, receiptId: 'd' });
  });

  it('requires id on SUBSCRIBE from 1.1 on', async () => {
    for (const version of ['1.1', '1.2']) {
      const client = await env.connect({ 'accept-version': version, host: 'h' });
      client.send('SUBSCRIBE', { destination: '/queue/a', receipt: 'x' });
      await client.expectError({ message: /\bid\b/, receiptId: 'x' });
    }
    await expectBrokerWorks(env);
  });

  it('requires id on UNSUBSCRIBE from 1.1 on', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/a' });
    client.send('UNSUBSCRIBE', { destination: '/queue/a', receipt: 'u' });
    await client.expectError({ message: /\bid\b/, receiptId: 'u' });
  });

  it('requires destination on SUBSCRIBE', async () => {
    const client = await env.connect();
    client.send('SUBSCRIBE', { id: 's' });
    await client.expectError({ message: /destination/ });
  });

  it('lets a 1.0 client subscribe without id, and unsubscribe by destination', async () => {
    const client = await env.connect({});
    expect(client.version).to.equal('1.0');
    await client.sendWithReceipt('SUBSCRIBE', { destination: '/queue/old' });
    client.send('SEND', { destination: '/queue/old' }, 'one');
    const message = await client.next('MESSAGE');
    expect(header(message, 'subscription')).to.be.a('string');
    expect(message.body.toString()).to.equal('one');
    await client.sendWithReceipt('UNSUBSCRIBE', { destination: '/queue/old' });
    await client.sendWithReceipt('SEND', { destination: '/queue/old' }, 'two');
    await client.expectSilence(30);
  });

  it('lets a 1.0 client that subscribed with an id unsubscribe by destination', async () => {
    const client = await env.connect({});
    await client.sendWithReceipt('SUBSCRIBE', { destination: '/queue/old-id', id: 'mine' });
    await client.sendWithReceipt('UNSUBSCRIBE', { destination: '/queue/old-id' });
    expect(env.broker.mqm.destinationStats('/queue/old-id').subscribers).to.equal(0);
  });

  it('refuses a subscription id already in use on the connection', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 'dup', destination: '/queue/a' });
    client.send('SUBSCRIBE', { id: 'dup', destination: '/queue/b', receipt: 'again' });
    await client.expectError({ message: /dup/, receiptId: 'again' });
    await expectBrokerWorks(env);
  });

  it('allows the same subscription id on different connections', async () => {
    const a = await env.connect();
    const b = await env.connect();
    await a.sendWithReceipt('SUBSCRIBE', { id: 'same', destination: '/topic/t' });
    await b.sendWithReceipt('SUBSCRIBE', { id: 'same', destination: '/topic/t' });
  });

  it('refuses an invalid ack mode', async () => {
    const client = await env.connect();
    client.send('SUBSCRIBE', { id: 's', destination: '/queue/a', ack: 'sometimes' });
    await client.expectError({ message: /ack/ });
  });

  it('adds ack to MESSAGE only for 1.2 subscriptions in client modes', async () => {
    const v12 = await env.connect();
    await v12.sendWithReceipt('SUBSCRIBE', { id: 'c', destination: '/queue/ack12', ack: 'client' });
    v12.send('SEND', { destination: '/queue/ack12' }, 'x');
    expect(header(await v12.next('MESSAGE'), 'ack')).to.be.a('string');

    const v11 = await env.connect({ 'accept-version': '1.1', host: 'h' });
    await v11.sendWithReceipt('SUBSCRIBE', { id: 'c', destination: '/queue/ack11', ack: 'client' });
    v11.send('SEND', { destination: '/queue/ack11' }, 'x');
    expect(header(await v11.next('MESSAGE'), 'ack')).to.equal(undefined);
  });

  it('passes a sender header named like a broker header only once, the broker\'s first', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/names' });
    client.send('SEND', [['destination', '/queue/names'], ['subscription', 'fake'], ['message-id', 'fake'], ['ack', 'fake']], 'x');
    const message = await client.next('MESSAGE');
    expect(headerValues(message, 'subscription')).to.deep.equal(['s']);
    expect(headerValues(message, 'message-id')).to.have.length(1);
    expect(headerValues(message, 'message-id')[0]).to.not.equal('fake');
    expect(headerValues(message, 'ack')).to.deep.equal([]);
  });

  it('marks persistent messages as persistent', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/p' });
    client.send('SEND', { destination: '/queue/p', persistent: 'true' }, 'x');
    expect(header(await client.next('MESSAGE'), 'persistent')).to.equal('true');
  });
});
