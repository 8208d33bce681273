import { expect } from 'chai';
import { checkAgainstSchema } from '@wharf/core';
import { negotiate } from '../../src/heartbeat.js';
import { heartBeatOffer, resolveStompOptions, stompOptionsSchema } from '../../src/options.js';
import { delay, header, startStompBroker, type StompTestBroker } from './helpers.js';

describe('STOMP session: heart-beating (STOMP 1.2 §Heart-beating)', () => {
  describe('negotiation', () => {
    it('takes the larger of what one side can send and the other wants, 0 when either says 0', () => {
      expect(negotiate([0, 0], [10000, 10000])).to.deep.equal({ sendEvery: 0, expectEvery: 0 });
      expect(negotiate([1000, 50], [10000, 10000])).to.deep.equal({ sendEvery: 10000, expectEvery: 10000 });
      expect(negotiate([1000, 50], [0, 0])).to.deep.equal({ sendEvery: 0, expectEvery: 0 });
      expect(negotiate([20000, 500], [10000, 10000])).to.deep.equal({ sendEvery: 10000, expectEvery: 20000 });
      expect(negotiate([0, 500], [100, 100])).to.deep.equal({ sendEvery: 500, expectEvery: 0 });
      expect(negotiate([500, 0], [100, 100])).to.deep.equal({ sendEvery: 0, expectEvery: 500 });
    });
  });

  describe('the offer: small floors, so the client\'s wish decides', () => {
    it('offers 100,100 by default, and takes either form of the option', () => {
      expect(resolveStompOptions(undefined).heartBeat).to.deep.equal([100, 100]);
      expect(heartBeatOffer({ minSendMs: 250 })).to.deep.equal([250, 100]);
      expect(heartBeatOffer({ minSendMs: 0, minReceiveMs: 2000 })).to.deep.equal([0, 2000]);
      expect(heartBeatOffer([10000, 5000])).to.deep.equal([10000, 5000]);
    });

    it('validates both forms: the default is the object; a stray key or a negative floor is refused', () => {
      const absent = checkAgainstSchema(stompOptionsSchema, {}, ['listeners', 0, 'options'], 'options of protocol stomp');
      expect(absent.issues).to.deep.equal([]);
      expect((absent.value as { heartBeat: unknown }).heartBeat).to.deep.equal({ minSendMs: 100, minReceiveMs: 100 });
      for (const good of [[10000, 10000], { minSendMs: 50 }, { minSendMs: 0, minReceiveMs: 0 }]) {
        expect(checkAgainstSchema(stompOptionsSchema, { heartBeat: good }, [], 'stomp').issues, JSON.stringify(good)).to.deep.equal([]);
      }
      const stray = checkAgainstSchema(stompOptionsSchema, { heartBeat: { minSendMS: 50 } }, ['listeners', 0, 'options'], 'stomp').issues;
      expect(stray.map((i) => i.message)).to.deep.equal(['unknown key "minSendMS"']);
      expect(stray[0]!.hint).to.equal('did you mean "minSendMs"?');
      expect(checkAgainstSchema(stompOptionsSchema, { heartBeat: { minReceiveMs: -1 } }, [], 'stomp').issues).to.have.length(1);
      expect(checkAgainstSchema(stompOptionsSchema, { heartBeat: [1] }, [], 'stomp').issues).to.have.length(1);
    });
  });

  describe('as peers do them, with the default offer', () => {
    let env: StompTestBroker;
    beforeEach(async () => {
      env = await startStompBroker();
    });
    afterEach(async () => {
      await env.stop();
    });

    it('a client asking heart-beat:0,500 gets a beat about every 500 ms (not every 10 s)', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '0,500' });
      expect(header(client.connected!, 'heart-beat')).to.equal('100,100');
      const start = Date.now();
      await delay(2600);
      // About 5 in 2.6 s; at least 2 even on a busy machine, and far fewer than the floor would give (26).
      const beats = client.heartBeats.filter((t) => t >= start).length;
      expect(beats).to.be.within(2, 7);
      expect(client.closed).to.equal(false);
    });

    it('a client asking heart-beat:0,20 gets beats no faster than the floor of 100 ms', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '0,20' });
      const start = Date.now();
      await delay(1000);
      // At most about 10 (every 100 ms), where the client's 20 ms would give 50.
      expect(client.heartBeats.filter((t) => t >= start).length).to.be.within(1, 12);
    });

    it('a client promising heart-beat:500,0 that goes silent is closed after 500 ms × the grace, with an ERROR', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '500,0' });
      const start = Date.now();
      // Closed well before the 15 s the old 10 s offer allowed; 750 ms at the earliest.
      const error = await client.expectError({ message: /heartBeatGrace/, timeoutMs: 6000 });
      expect(Date.now() - start).to.be.at.least(700);
      expect(header(error, 'message')).to.contain('agreed every 500 ms');
    });

    it('a client promising 500,0 that beats every 100 ms stays', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '500,0' });
      const timer = setInterval(() => client.sendRaw('\n'), 100);
      try {
        await delay(1500);
        expect(client.closed).to.equal(false);
      } finally {
        clearInterval(timer);
      }
    });

    it('the object form of the option sets the floors: { minSendMs: 300 } answers a 0,50 client every 300 ms', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '0,50' }, { heartBeat: { minSendMs: 300 } });
      expect(header(client.connected!, 'heart-beat')).to.equal('300,100');
      const start = Date.now();
      await delay(1300);
      // About 4; the client's own 50 ms would give 26.
      expect(client.heartBeats.filter((t) => t >= start).length).to.be.within(1, 6);
    });
  });

  describe('on the wire', () => {
    let env: StompTestBroker;
    beforeEach(async () => {
      env = await startStompBroker();
    });
    afterEach(async () => {
      await env.stop();
    });

    it('offers the listener\'s heart-beat in CONNECTED', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '1000,50' }, { heartBeat: [10000, 10000] });
      expect(header(client.connected!, 'heart-beat')).to.equal('10000,10000');
    });

    it('sends nothing and expects nothing when the client says 0,0', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '0,0' }, { heartBeat: [30, 30] });
      await delay(150);
      expect(client.heartBeats).to.deep.equal([]);
      expect(client.closed).to.equal(false);
    });

    it('sends nothing and expects nothing without a heart-beat header', async () => {
      const client = await env.connect({ 'accept-version': '1.2' }, { heartBeat: [30, 30] });
      await delay(120);
      expect(client.heartBeats).to.deep.equal([]);
      expect(client.closed).to.equal(false);
    });

    it('sends EOLs at the agreed rate: the larger of its offer and the client\'s wish', async () => {
      // Server can send every 20 ms, the client wants one every 50 ms: every 50 ms it is.
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '0,50' }, { heartBeat: [20, 20] });
      const start = Date.now();
      await delay(400);
      const beats = client.heartBeats.filter((t) => t >= start);
      // About 8; generous bounds for a busy machine.
      expect(beats.length).to.be.within(4, 11);
      const average = (beats[beats.length - 1]! - beats[0]!) / (beats.length - 1);
      expect(average).to.be.within(45, 110);
      expect(client.received).to.deep.equal([]);
    });

    it('closes a client silent for longer than the agreed interval times the grace, with an ERROR', async () => {
      // The client promised a beat every 100 ms (the server wants 40): 100 × 1.5 = 150 ms of silence allowed.
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '100,0' }, { heartBeat: [40, 40], heartBeatGrace: 1.5 });
      const start = Date.now();
      const error = await client.expectError({ message: /heartBeatGrace/ });
      const elapsed = Date.now() - start;
      expect(elapsed).to.be.within(140, 1000);
      expect(header(error, 'message')).to.match(/heart-beat/);
      expect(env.broker.mqm.sessionCount).to.equal(0);
    });

    it('keeps a client that sends heart-beats in time', async () => {
      // 100 ms promised, 150 ms allowed; a beat every 20 ms leaves room for a busy machine.
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '100,0' }, { heartBeat: [100, 100] });
      const timer = setInterval(() => client.sendRaw('\n'), 20);
      try {
        await delay(400);
        expect(client.closed).to.equal(false);
        expect(client.received).to.deep.equal([]);
        // Heart-beats are not frames: the session goes on normally.
        await client.sendWithReceipt('BEGIN', { transaction: 't' });
      } finally {
        clearInterval(timer);
      }
    });

    it('counts any frame as a sign of life', async () => {
      const client = await env.connect({ 'accept-version': '1.2', 'heart-beat': '100,0' }, { heartBeat: [100, 100] });
      for (let i = 0; i < 8; i++) {
        await client.sendWithReceipt('SEND', { destination: '/topic/nobody' }, 'x');
        await delay(25);
      }
      expect(client.closed).to.equal(false);
    });

    it('has no heart-beats in 1.0', async () => {
      const client = await env.connect({ 'heart-beat': '30,30' }, { heartBeat: [30, 30] });
      expect(client.version).to.equal('1.0');
      await delay(150);
      expect(client.heartBeats).to.deep.equal([]);
      expect(client.closed).to.equal(false);
    });
  });
});
