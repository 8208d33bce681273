import { expect } from 'chai';
import { definePlugin } from '@wharf/core';
import {
  delay, eventually, expectBrokerWorks, header, listenerConfig, startStompBroker, type StompTestBroker,
} from './helpers.js';

describe('STOMP session: limits (STOMP 1.2 §Size Limits; issue 4 Limits)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker({ limits: { maxTransactions: 2, maxTransactionSize: 3, maxDestinationLength: 64 } });
  });
  afterEach(async () => {
    await env.stop();
  });

  describe('maxBodyBytes', () => {
    it('refuses a content-length over the limit before the body arrives', async () => {
      const client = await env.connect(undefined, { maxBodyBytes: 100 });
      client.sendRaw('SEND\ndestination:/queue/a\nreceipt:big\ncontent-length:101\n\n');
      await client.expectError({ message: /maxBodyBytes/, receiptId: 'big' });
      await expectBrokerWorks(env);
    });

    it('refuses a body without content-length that runs past the limit', async () => {
      const client = await env.connect(undefined, { maxBodyBytes: 100 });
      client.sendRaw(`SEND\ndestination:/queue/a\n\n${'x'.repeat(150)}`);
      await client.expectError({ message: /maxBodyBytes/ });
    });

    it('accepts a body of exactly the limit', async () => {
      const client = await env.connect(undefined, { maxBodyBytes: 100 });
      await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/exact' });
      client.send('SEND', { destination: '/queue/exact' }, Buffer.alloc(100, 7));
      expect((await client.next('MESSAGE')).body.length).to.equal(100);
    });
  });

  it('maxHeaders: refuses a frame with too many headers', async () => {
    const client = await env.connect(undefined, { maxHeaders: 5 });
    const headers: Array<[string, string]> = [['destination', '/queue/a'], ['receipt', 'many']];
    for (let i = 0; i < 5; i++) headers.push([`h${i}`, 'v']);
    client.send('SEND', headers, 'x');
    await client.expectError({ message: /maxHeaders/, receiptId: 'many' });
    await expectBrokerWorks(env);
  });

  it('maxHeaderLineBytes: refuses a header line that is too long', async () => {
    const client = await env.connect(undefined, { maxHeaderLineBytes: 100 });
    client.send('SEND', { receipt: 'long', destination: '/queue/a', 'x-long': 'y'.repeat(200) }, 'x');
    await client.expectError({ message: /maxHeaderLineBytes/, receiptId: 'long' });
    await expectBrokerWorks(env);
  });

  it('maxHeaderLineBytes: refuses a header line that never ends', async () => {
    const client = await env.connect(undefined, { maxHeaderLineBytes: 100 });
    client.sendRaw(`SEND\nx:${'y'.repeat(300)}`);
    await client.expectError({ message: /maxHeaderLineBytes/ });
  });

  it('connectTimeoutMs: closes a connection that sends no CONNECT in time', async () => {
    const client = env.open({ connectTimeoutMs: 50 });
    const start = Date.now();
    await client.expectError({ message: /connectTimeoutMs/ });
    expect(Date.now() - start).to.be.within(40, 1000);
    expect(env.adapter.connectionCount).to.equal(0);
    await expectBrokerWorks(env);
  });

  it('connectTimeoutMs: is met by a CONNECT in time', async () => {
    const client = env.open({ connectTimeoutMs: 80 });
    await client.connect();
    await delay(120);
    expect(client.closed).to.equal(false);
  });

  it('maxSubscriptions: refuses one subscription too many', async () => {
    const client = await env.connect(undefined, { maxSubscriptions: 2 });
    client.send('SUBSCRIBE', { id: '1', destination: '/queue/a' });
    client.send('SUBSCRIBE', { id: '2', destination: '/queue/b' });
    client.send('SUBSCRIBE', { id: '3', destination: '/queue/c', receipt: 'third' });
    await client.expectError({ message: /maxSubscriptions/, receiptId: 'third' });
    await expectBrokerWorks(env);
  });

  it('maxSubscriptions: counts only open subscriptions', async () => {
    const client = await env.connect(undefined, { maxSubscriptions: 1 });
    for (let i = 0; i < 3; i++) {
      await client.sendWithReceipt('SUBSCRIBE', { id: `s${i}`, destination: '/queue/a' });
      await client.sendWithReceipt('UNSUBSCRIBE', { id: `s${i}` });
    }
  });

  describe('maxUnackedPerSubscription', () => {
    it('refuses a prefetch-count above it', async () => {
      const client = await env.connect(undefined, { maxUnackedPerSubscription: 5 });
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/a', ack: 'client', 'prefetch-count': '6', receipt: 'pf' });
      await client.expectError({ message: /maxUnackedPerSubscription/, receiptId: 'pf' });
    });

    it('bounds client-mode subscriptions that ask for no limit', async () => {
      const client = await env.connect(undefined, { maxUnackedPerSubscription: 3 });
      for (let i = 0; i < 6; i++) client.send('SEND', { destination: '/queue/bounded' }, String(i));
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/bounded', ack: 'client-individual' });
      const first = await client.take(3, 'MESSAGE');
      await client.expectSilence(30);
      expect(env.broker.mqm.destinationStats('/queue/bounded')).to.include({ unacked: 3, depth: 3 });
      client.send('ACK', { id: header(first[0]!, 'ack')! });
      expect((await client.next('MESSAGE')).body.toString()).to.equal('3');
    });

    it('lets prefetch-count:0 mean the listener limit in client modes', async () => {
      const client = await env.connect(undefined, { maxUnackedPerSubscription: 2 });
      for (let i = 0; i < 4; i++) client.send('SEND', { destination: '/queue/zero' }, String(i));
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/zero', ack: 'client', 'prefetch-count': '0' });
      await client.take(2, 'MESSAGE');
      await client.expectSilence(30);
    });
  });

  describe('maxConnections', () => {
    it('refuses a connection over the listener\'s limit, and accepts again once one closes', async () => {
      const listener = listenerConfig({ maxConnections: 2 });
      const a = env.open({}, listener);
      const b = env.open({}, listener);
      await a.connect();
      await b.connect();
      const c = env.open({}, listener);
      await c.expectError({ message: /maxConnections/ });
      // Another listener has its own count.
      await env.open({}, listenerConfig({ maxConnections: 2 })).connect();
      a.send('DISCONNECT');
      await a.waitClosed();
      await eventually(() => env.adapter.connectionCount === 2);
      const d = env.open({}, listener);
      await d.connect();
    });
  });

  it('maxDestinationLength (broker): refuses a destination name that is too long', async () => {
    const client = await env.connect();
    client.send('SEND', { destination: `/queue/${'x'.repeat(80)}`, receipt: 'name' }, 'x');
    await client.expectError({ message: /1 to 64 characters/, receiptId: 'name' });
  });

  it('maxTransactions (broker): refuses one open transaction too many', async () => {
    const client = await env.connect();
    client.send('BEGIN', { transaction: 'a' });
    client.send('BEGIN', { transaction: 'b' });
    client.send('BEGIN', { transaction: 'c' });
    await client.expectError({ message: /maxTransactions|too many open transactions/ });
  });

  it('maxTransactionSize (broker): refuses one operation too many in a transaction', async () => {
    const client = await env.connect();
    client.send('BEGIN', { transaction: 'a' });
    for (let i = 0; i < 4; i++) client.send('SEND', { destination: '/queue/tx', transaction: 'a' }, String(i));
    await client.expectError({ message: /too large/ });
    expect(env.broker.mqm.lookup('/queue/tx')).to.equal(undefined);
  });

  it('refuses too many frames pipelined behind a CONNECT that is still being checked', async () => {
    const slow = definePlugin({ kind: 'security', name: 'slow-auth', core: '^0.1.0' }, (ctx) => {
      ctx.authenticator({
        name: 'slow',
        authenticate: async () => {
          await delay(50);
          return { principal: { name: 'slow', groups: [], anonymous: false } };
        },
      });
    });
    const slowEnv = await startStompBroker({}, [slow]);
    try {
      const client = slowEnv.open();
      client.sendRaw(`CONNECT\naccept-version:1.2\n\n\0${'BEGIN\ntransaction:t\n\n\0'.repeat(150)}`);
      await client.expectError({ message: /before CONNECTED/ });
    } finally {
      await slowEnv.stop();
    }
  });
});
