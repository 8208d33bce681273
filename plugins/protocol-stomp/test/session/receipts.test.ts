import { expect } from 'chai';
import { definePlugin } from '@wharf/core';
import { delay, eventually, header, startStompBroker, type StompTestBroker } from './helpers.js';

describe('STOMP session: RECEIPT and DISCONNECT (STOMP 1.2 §Header receipt, §DISCONNECT)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker();
  });
  afterEach(async () => {
    await env.stop();
  });

  it('answers each frame with a receipt header with a RECEIPT, in order', async () => {
    const client = await env.connect();
    client.send('SUBSCRIBE', { id: 's', destination: '/queue/r', ack: 'client-individual', receipt: '1' });
    client.send('BEGIN', { transaction: 't', receipt: '2' });
    client.send('SEND', { destination: '/queue/other', transaction: 't', receipt: '3' }, 'x');
    client.send('ABORT', { transaction: 't', receipt: '4' });
    client.send('BEGIN', { transaction: 't2', receipt: '5' });
    client.send('COMMIT', { transaction: 't2', receipt: '6' });
    client.send('UNSUBSCRIBE', { id: 's', receipt: '7' });
    const receipts = await client.take(7, 'RECEIPT');
    expect(receipts.map((r) => header(r, 'receipt-id'))).to.deep.equal(['1', '2', '3', '4', '5', '6', '7']);
  });

  it('answers ACK and NACK with receipts', async () => {
    const client = await env.connect();
    client.send('SUBSCRIBE', { id: 's', destination: '/queue/ra', ack: 'client-individual' });
    client.send('SEND', { destination: '/queue/ra' }, 'a');
    client.send('SEND', { destination: '/queue/ra' }, 'b');
    const [a, b] = await client.take(2, 'MESSAGE');
    client.send('ACK', { id: header(a!, 'ack')!, receipt: 'ack' });
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('ack');
    client.send('NACK', { id: header(b!, 'ack')!, receipt: 'nack' });
    // The NACK takes effect (a redelivery) before its RECEIPT goes out.
    expect(header(await client.next('MESSAGE'), 'redelivered')).to.equal('true');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('nack');
  });

  it('sends a SEND\'s RECEIPT after the message reached its subscribers', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/topic/order' });
    client.send('SEND', { destination: '/topic/order', receipt: 'sent' }, 'm');
    expect((await client.next()).command).to.equal('MESSAGE');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('sent');
  });

  it('answers DISCONNECT with its RECEIPT, then closes', async () => {
    const client = await env.connect();
    expect(env.broker.mqm.sessionCount).to.equal(1);
    client.send('DISCONNECT', { receipt: 'bye' });
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('bye');
    await client.waitClosed();
    expect(client.received).to.deep.equal([]);
    expect(env.broker.mqm.sessionCount).to.equal(0);
  });

  it('closes on DISCONNECT without a receipt, with no ERROR', async () => {
    const client = await env.connect();
    client.send('DISCONNECT');
    await client.waitClosed();
    expect(client.received).to.deep.equal([]);
  });

  it('ignores frames after DISCONNECT', async () => {
    const client = await env.connect();
    client.sendRaw('DISCONNECT\nreceipt:bye\n\n\0SEND\ndestination:/queue/after\n\nx\0');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('bye');
    await client.waitClosed();
    await delay(10);
    expect(env.broker.mqm.lookup('/queue/after')).to.equal(undefined);
  });

  it('processes what the client sent before it half-closed, then closes', async () => {
    const client = await env.connect();
    await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/half' });
    client.send('SEND', { destination: '/queue/half', receipt: 'last' }, 'x');
    client.stream.end();
    expect((await client.next('MESSAGE')).body.toString()).to.equal('x');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('last');
    await client.waitClosed();
  });

  it('processes a whole pipelined session from a client that half-closes at once', async () => {
    const observer = await env.connect();
    await observer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/batch' });
    const client = env.open();
    client.sendRaw('CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/queue/batch\n\none\0SEND\ndestination:/queue/batch\nreceipt:r\n\ntwo\0');
    client.stream.end();
    expect((await client.next('CONNECTED')).command).to.equal('CONNECTED');
    expect(header(await client.next('RECEIPT'), 'receipt-id')).to.equal('r');
    await client.waitClosed();
    expect((await observer.take(2, 'MESSAGE')).map((m) => m.body.toString())).to.deep.equal(['one', 'two']);
  });

  it('processes a pipelined session from a client that half-closes while authentication is still running', async () => {
    const slow = definePlugin({ kind: 'security', name: 'slow-auth', core: '^0.1.0' }, (ctx) => {
      ctx.authenticator({
        name: 'slow',
        authenticate: async () => {
          await delay(30);
          return { principal: { name: 'slow', groups: [], anonymous: false } };
        },
      });
    });
    const slowEnv = await startStompBroker({}, [slow]);
    try {
      const observer = await slowEnv.connect();
      await observer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/batch' });
      const client = slowEnv.open();
      client.sendRaw('CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/queue/batch\nreceipt:r\n\none\0');
      client.stream.end();
      // The client's frames take effect; replies cannot reach it (its stream closed both ways,
      // as a TCP socket without allowHalfOpen does).
      expect((await observer.next('MESSAGE')).body.toString()).to.equal('one');
      await client.waitClosed();
      await eventually(() => slowEnv.broker.mqm.sessionCount === 1, 1000, 'the pipelined session to end');
      expect(slowEnv.adapter.connectionCount).to.equal(1);
    } finally {
      await slowEnv.stop();
    }
  });
});
