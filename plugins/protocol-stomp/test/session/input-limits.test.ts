import { expect } from 'chai';
import { definePlugin } from '@wharf/core';
import type { StompConnection } from '../../src/connection.js';
import {
  delay, eventually, expectBrokerWorks, listenerConfig, startStompBroker, type StompTestBroker, type StompTestClient,
} from './helpers.js';

/** A SEND whose content-length promises `length` body bytes, with `sent` of them (no NUL yet). */
function unfinishedSend(destination: string, length: number, sent: number, receipt: string): Buffer {
  return Buffer.concat([
    Buffer.from(`SEND\ndestination:${destination}\nreceipt:${receipt}\ncontent-length:${length}\n\n`),
    Buffer.alloc(sent, 0x61),
  ]);
}

/** Writes the rest of such a SEND: the body bytes still missing and the NUL. */
function finish(client: StompTestClient, missing: number): void {
  client.sendRaw(Buffer.concat([Buffer.alloc(missing, 0x61), Buffer.from([0])]));
}

describe('STOMP session: input limits before and around login (issue 15 item 2)', () => {
  let env: StompTestBroker;
  afterEach(async () => {
    await env.stop();
  });

  describe('before CONNECTED: maxHeaderBytesBeforeConnect', () => {
    beforeEach(async () => {
      env = await startStompBroker();
    });

    it('refuses a CONNECT with content-length:4194304 on its header line, before any body byte', async () => {
      const client = env.open();
      client.sendRaw('CONNECT\naccept-version:1.2\ncontent-length:4194304\n');
      await client.expectError({ message: /may carry no body.*maxHeaderBytesBeforeConnect/ });
      expect(env.broker.inputBudget.used).to.equal(0);
      await expectBrokerWorks(env);
    });

    it('refuses body bytes after a CONNECT\'s headers without content-length', async () => {
      const client = env.open();
      client.sendRaw('CONNECT\naccept-version:1.2\n\nbody bytes');
      await client.expectError({ message: /may carry no body/ });
    });

    it('refuses CONNECT headers that pass the limit, even while a line is still unfinished', async () => {
      const client = env.open({ maxHeaderBytesBeforeConnect: 2048 });
      // Under maxHeaderLineBytes (8192), over the pre-login frame limit: refused before the line ends.
      client.sendRaw(`CONNECT\naccept-version:1.2\nx-pad:${'p'.repeat(3000)}`);
      await client.expectError({ message: /before CONNECTED is larger than 2048 bytes.*maxHeaderBytesBeforeConnect/ });
    });

    it('accepts a CONNECT with 1.4 KB of headers, and the listener\'s own limits once CONNECTED', async () => {
      const client = env.open();
      await client.connect({ 'accept-version': '1.2', host: 'localhost', 'x-long': 'l'.repeat(1400) });
      await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/after-login' });
      client.send('SEND', { destination: '/queue/after-login' }, Buffer.alloc(1024 * 1024, 7));
      expect((await client.next('MESSAGE')).body.length).to.equal(1024 * 1024);
    });

    it('bounds everything read before CONNECTED, frames pipelined behind CONNECT included, to 16 frames\' worth', async () => {
      const slowEnv = await startStompBroker({}, [slowAuthentication()]);
      try {
        const client = slowEnv.open({ maxHeaderBytesBeforeConnect: 2048 });
        // Each pipelined SEND fits the pre-login frame size; 30 of them do not fit 16 × 2048 bytes.
        client.sendRaw(`CONNECT\naccept-version:1.2\n\n\0${`SEND\ndestination:/queue/p\n\n${'b'.repeat(1500)}\0`.repeat(30)}`);
        await client.expectError({ message: /more than 32768 bytes sent before CONNECTED \(limit maxHeaderBytesBeforeConnect\)/ });
      } finally {
        await slowEnv.stop();
      }
    });

    it('refuses a frame pipelined behind CONNECT whose body passes the pre-login frame size', async () => {
      const slowEnv = await startStompBroker({}, [slowAuthentication()]);
      try {
        const client = slowEnv.open();
        client.sendRaw(`CONNECT\naccept-version:1.2\n\n\0SEND\ndestination:/queue/p\ncontent-length:5000\n\n`);
        await client.expectError({ message: /before CONNECTED is larger than 4096 bytes/ });
      } finally {
        await slowEnv.stop();
      }
    });

    it('bounds heart-beat EOLs before CONNECT', async () => {
      const client = env.open();
      client.sendRaw('\n'.repeat(1000));
      await client.expectError({ message: /heart-beat EOLs.*maxHeartBeatsPerSecond/ });
    });
  });

  describe('the largest WebSocket message: maxInputMessageBytes', () => {
    beforeEach(async () => {
      env = await startStompBroker();
    });

    it('is one frame at the listener\'s limits: the body, every header line at its longest, NUL and EOL', () => {
      const listener = listenerConfig({ maxBodyBytes: 1000, maxHeaders: 4, maxHeaderLineBytes: 100 });
      // command + 4 headers + blank line: 6 lines of at most 100 bytes and a CRLF each.
      expect(env.adapter.maxInputMessageBytes(listener)).to.equal(1000 + 6 * 102 + 2);
      expect(env.adapter.maxInputMessageBytes(listenerConfig())).to.equal(4 * 1024 * 1024 + 66 * 8194 + 2);
    });
  });

  describe('heart-beat EOLs: maxHeartBeatsPerSecond', () => {
    beforeEach(async () => {
      env = await startStompBroker();
    });

    it('closes a connected client that floods EOLs with an ERROR saying why', async () => {
      const client = await env.connect();
      client.sendRaw('\n'.repeat(50_000));
      await client.expectError({ message: /more than 100 heart-beat EOLs within a second \(limit maxHeartBeatsPerSecond\)/ });
      await expectBrokerWorks(env);
    });

    it('does not count the EOL that ends each frame', async () => {
      const client = await env.connect();
      let frames = '';
      for (let i = 0; i < 500; i++) frames += `SEND\ndestination:/queue/eol\n\n${i}\0\n`;
      client.sendRaw(frames);
      await client.sendWithReceipt('SEND', { destination: '/queue/eol' });
      expect(env.broker.mqm.destinationStats('/queue/eol').depth).to.equal(501);
    });

    it('allows a client that promises beats every 5 ms four per interval (800 a second), and no more', async () => {
      const client = await env.connect({ 'accept-version': '1.2', host: 'localhost', 'heart-beat': '5,0' });
      client.sendRaw('\n'.repeat(700));
      await client.sendWithReceipt('SEND', { destination: '/queue/beats' });
      client.sendRaw('\n'.repeat(200));
      await client.expectError({ message: /more than 800 heart-beat EOLs/ });
    });

    it('takes an option for the floor', async () => {
      const client = env.open({ maxHeartBeatsPerSecond: 10 });
      await client.connect();
      client.sendRaw('\n'.repeat(9));
      await client.sendWithReceipt('SEND', { destination: '/queue/floor' });
      client.sendRaw('\n'.repeat(5));
      await client.expectError({ message: /more than 10 heart-beat EOLs/ });
    });
  });

  describe('the broker-wide budget: limits.inputBufferBytes', () => {
    const BUDGET = 65536;
    beforeEach(async () => {
      env = await startStompBroker({ limits: { inputBufferBytes: BUDGET } });
    });

    it('counts an unfinished frame and frees it when the frame completes or the connection closes', async () => {
      const a = await env.connect();
      a.sendRaw(unfinishedSend('/queue/held', 30000, 20000, 'a'));
      await eventually(() => env.broker.inputBudget.used >= 20000);
      finish(a, 10000);
      await a.next('RECEIPT');
      expect(env.broker.inputBudget.used).to.equal(0);
      const b = await env.connect();
      b.sendRaw(unfinishedSend('/queue/held', 30000, 20000, 'b'));
      await eventually(() => env.broker.inputBudget.used >= 20000);
      b.destroy();
      await eventually(() => env.broker.inputBudget.used === 0);
    });

    it('pauses a session whose frame would pass the budget until another frame completes, then serves it', async () => {
      const a = await env.connect();
      a.sendRaw(unfinishedSend('/queue/big', 50000, 40000, 'a'));
      await eventually(() => env.broker.inputBudget.used >= 40000);
      const b = await env.connect();
      b.sendRaw(unfinishedSend('/queue/big', 50000, 40000, 'b'));
      await eventually(() => env.broker.inputBudget.waiting === 1, 2000, 'b to wait for room');
      finish(b, 10000);
      await b.expectSilence(50);
      finish(a, 10000);
      expect(header(await a.next('RECEIPT'))).to.equal('a');
      expect(header(await b.next('RECEIPT'))).to.equal('b');
      expect(env.broker.mqm.destinationStats('/queue/big').depth).to.equal(2);
      await eventually(() => env.broker.inputBudget.used === 0);
    });

    it('keeps a session that waits for room unread when flow control pauses and resumes it meanwhile', async () => {
      const a = await env.connect();
      a.sendRaw(unfinishedSend('/queue/both', 50000, 40000, 'a'));
      await eventually(() => env.broker.inputBudget.used >= 40000);
      const b = await env.connect();
      b.sendRaw(unfinishedSend('/queue/both', 50000, 40000, 'b'));
      await eventually(() => env.broker.inputBudget.waiting === 1, 2000, 'b to wait for room');
      // The adapter's connections, in the order they opened: b is the second.
      const connections = [...(env.adapter as unknown as { connections: Set<StompConnection> }).connections];
      const bConnection = connections[1]!;
      bConnection.pauseReading(); // the memory alarm, say
      bConnection.resumeReading(); // ... cleared: b still waits for room
      expect(bConnection.stream.isPaused()).to.equal(true);
      finish(b, 10000);
      await b.expectSilence(50);
      finish(a, 10000);
      expect(header(await a.next('RECEIPT'))).to.equal('a');
      expect(header(await b.next('RECEIPT'))).to.equal('b');
    });

    it('never deadlocks: when only waiting connections would hold bytes, the last reader finishes its frame past the budget', async () => {
      const a = await env.connect();
      a.sendRaw(unfinishedSend('/queue/dead', 60000, 40000, 'a'));
      await eventually(() => env.broker.inputBudget.used >= 40000);
      const b = await env.connect();
      b.sendRaw(unfinishedSend('/queue/dead', 60000, 40000, 'b'));
      await eventually(() => env.broker.inputBudget.waiting === 1, 2000, 'b to wait for room');
      finish(b, 20000);
      // a, the only reader holding bytes, grows too: were it to wait, nobody would free room. It reads on.
      finish(a, 20000);
      expect(header(await a.next('RECEIPT'))).to.equal('a');
      expect(header(await b.next('RECEIPT'))).to.equal('b');
      await eventually(() => env.broker.inputBudget.used === 0);
    });

    it('gives a client that has not logged in an ERROR instead of a wait', async () => {
      const a = await env.connect();
      a.sendRaw(unfinishedSend('/queue/full', 65000, 64000, 'a'));
      await eventually(() => env.broker.inputBudget.used >= 64000);
      const stranger = env.open();
      stranger.sendRaw(`CONNECT\naccept-version:1.2\nx-pad:${'p'.repeat(2000)}`);
      await stranger.expectError({ message: /has not logged in \(limit inputBufferBytes\)/ });
      finish(a, 1000);
      await a.next('RECEIPT');
    });
  });
});

/** A security plugin whose authenticator takes 100 ms, so that frames pipelined behind CONNECT wait for it. */
function slowAuthentication(): ReturnType<typeof definePlugin> {
  return definePlugin({ kind: 'security', name: 'slow-auth', core: '^0.1.0' }, (ctx) => {
    ctx.authenticator({
      name: 'slow',
      authenticate: async () => {
        await delay(100);
        return { principal: { name: 'slow', groups: [], anonymous: false } };
      },
    });
  });
}

function header(frame: { headers: Array<[string, string]> }): string | undefined {
  return frame.headers.find(([name]) => name === 'receipt-id')?.[1];
}
