import { expect } from 'chai';
import type { Frame } from '../../src/codec/index.js';
import { eventually, expectBrokerWorks, header, startStompBroker, type StompTestBroker, type StompTestClient } from './helpers.js';

/** Sends `count` messages body 0..count-1 to `destination` and waits for the RECEIPT of the last. */
async function fill(client: StompTestClient, destination: string, count: number): Promise<void> {
  for (let i = 0; i < count - 1; i++) client.send('SEND', { destination }, String(i));
  await client.sendWithReceipt('SEND', { destination }, String(count - 1));
}

const bodies = (frames: Frame[]): string[] => frames.map((f) => f.body.toString());

describe('STOMP session: ACK and NACK (STOMP 1.2 §ACK, §NACK, §SUBSCRIBE ack Header)', () => {
  let env: StompTestBroker;
  let producer: StompTestClient;
  beforeEach(async () => {
    env = await startStompBroker();
    producer = await env.connect();
  });
  afterEach(async () => {
    await env.stop();
  });
  const stats = (destination: string) => env.broker.mqm.destinationStats(destination);

  describe('1.2: by the MESSAGE ack header', () => {
    it('client-individual acknowledges one message at a time', async () => {
      await fill(producer, '/queue/ci', 3);
      const client = await env.connect();
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/ci', ack: 'client-individual' });
      const messages = await client.take(3, 'MESSAGE');
      expect(bodies(messages)).to.deep.equal(['0', '1', '2']);
      const acks = messages.map((m) => header(m, 'ack')!);
      expect(new Set(acks).size).to.equal(3);
      await client.sendWithReceipt('ACK', { id: acks[1]! });
      expect(stats('/queue/ci').unacked).to.equal(2);
      await client.sendWithReceipt('ACK', { id: acks[0]! });
      await client.sendWithReceipt('ACK', { id: acks[2]! });
      expect(stats('/queue/ci')).to.include({ unacked: 0, depth: 0 });
    });

    it('client acknowledges cumulatively', async () => {
      await fill(producer, '/queue/cum', 3);
      const client = await env.connect();
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/cum', ack: 'client' });
      const messages = await client.take(3, 'MESSAGE');
      await client.sendWithReceipt('ACK', { id: header(messages[1]!, 'ack')! });
      expect(stats('/queue/cum').unacked).to.equal(1);
      await client.sendWithReceipt('ACK', { id: header(messages[2]!, 'ack')! });
      expect(stats('/queue/cum').unacked).to.equal(0);
    });

    it('redelivers a NACKed message to another subscriber, marked redelivered', async () => {
      const a = await env.connect();
      await a.sendWithReceipt('SUBSCRIBE', { id: 'a', destination: '/queue/n', ack: 'client-individual' });
      await fill(producer, '/queue/n', 1);
      const first = await a.next('MESSAGE');
      expect(header(first, 'redelivered')).to.equal(undefined);
      const b = await env.connect();
      await b.sendWithReceipt('SUBSCRIBE', { id: 'b', destination: '/queue/n', ack: 'client-individual' });
      a.send('NACK', { id: header(first, 'ack')! });
      const again = await b.next('MESSAGE');
      expect(header(again, 'redelivered')).to.equal('true');
      expect(header(again, 'message-id')).to.equal(header(first, 'message-id'));
      expect(again.body.toString()).to.equal('0');
      await a.expectSilence(20);
    });

    it('redelivers a NACKed message to the same subscriber when it is the only one', async () => {
      const a = await env.connect();
      await a.sendWithReceipt('SUBSCRIBE', { id: 'a', destination: '/queue/n1', ack: 'client' });
      await fill(producer, '/queue/n1', 1);
      const first = await a.next('MESSAGE');
      a.send('NACK', { id: header(first, 'ack')! });
      const again = await a.next('MESSAGE');
      expect(header(again, 'redelivered')).to.equal('true');
      expect(again.body.toString()).to.equal('0');
      a.send('ACK', { id: header(again, 'ack')! });
      await eventually(() => stats('/queue/n1').unacked === 0);
    });

    it('refuses an unknown ack id with an ERROR, then closes', async () => {
      const client = await env.connect();
      await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/u', ack: 'client' });
      client.send('ACK', { id: '99-1', receipt: 'bad' });
      await client.expectError({ message: /99-1/, receiptId: 'bad' });
      await expectBrokerWorks(env);
    });

    it('refuses an ACK of a message already acknowledged', async () => {
      await fill(producer, '/queue/twice', 1);
      const client = await env.connect();
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/twice', ack: 'client-individual' });
      const message = await client.next('MESSAGE');
      await client.sendWithReceipt('ACK', { id: header(message, 'ack')! });
      client.send('ACK', { id: header(message, 'ack')! });
      await client.expectError();
    });

    it('requires the id header', async () => {
      const client = await env.connect();
      client.send('ACK', { 'message-id': 'x', subscription: 's' });
      await client.expectError({ message: /\bid\b/ });
    });
  });

  describe('1.1: by message-id and subscription', () => {
    it('acknowledges by message-id and subscription, cumulatively in client mode', async () => {
      await fill(producer, '/queue/v11', 3);
      const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/v11', ack: 'client' });
      const messages = await client.take(3, 'MESSAGE');
      await client.sendWithReceipt('ACK', { 'message-id': header(messages[1]!, 'message-id')!, subscription: 's' });
      expect(stats('/queue/v11').unacked).to.equal(1);
      await client.sendWithReceipt('ACK', { 'message-id': header(messages[2]!, 'message-id')!, subscription: 's' });
      expect(stats('/queue/v11').unacked).to.equal(0);
    });

    it('acknowledges client-individual messages one by one and NACKs for redelivery', async () => {
      await fill(producer, '/queue/v11i', 2);
      const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/v11i', ack: 'client-individual' });
      const [m0, m1] = await client.take(2, 'MESSAGE');
      await client.sendWithReceipt('ACK', { 'message-id': header(m1!, 'message-id')!, subscription: 's' });
      expect(stats('/queue/v11i').unacked).to.equal(1);
      client.send('NACK', { 'message-id': header(m0!, 'message-id')!, subscription: 's' });
      const again = await client.next('MESSAGE');
      expect(header(again, 'redelivered')).to.equal('true');
      expect(header(again, 'message-id')).to.equal(header(m0!, 'message-id'));
      await client.sendWithReceipt('ACK', { 'message-id': header(again, 'message-id')!, subscription: 's' });
      expect(stats('/queue/v11i').unacked).to.equal(0);
    });

    it('NACKs cumulatively in client mode, and the redelivered messages can be acknowledged', async () => {
      await fill(producer, '/queue/v11n', 3);
      const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/v11n', ack: 'client' });
      const messages = await client.take(3, 'MESSAGE');
      client.send('NACK', { 'message-id': header(messages[1]!, 'message-id')!, subscription: 's' });
      const again = await client.take(2, 'MESSAGE');
      expect(bodies(again)).to.deep.equal(['0', '1']);
      expect(again.map((m) => header(m, 'redelivered'))).to.deep.equal(['true', 'true']);
      // '2' was delivered before the redeliveries, but acknowledging the last redelivery covers all.
      await client.sendWithReceipt('ACK', { 'message-id': header(again[1]!, 'message-id')!, subscription: 's' });
      expect(stats('/queue/v11n')).to.include({ unacked: 0, depth: 0 });
    });

    it('requires subscription', async () => {
      await fill(producer, '/queue/v11s', 1);
      const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/v11s', ack: 'client' });
      const message = await client.next('MESSAGE');
      client.send('ACK', { 'message-id': header(message, 'message-id')!, receipt: 'r' });
      await client.expectError({ message: /subscription/, receiptId: 'r' });
    });

    it('refuses an unknown message-id', async () => {
      const client = await env.connect({ 'accept-version': '1.1', host: 'h' });
      await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/x', ack: 'client' });
      client.send('ACK', { 'message-id': 'nope', subscription: 's' });
      await client.expectError({ message: /nope/ });
    });
  });

  describe('1.0: by message-id', () => {
    it('acknowledges by message-id alone', async () => {
      await fill(producer, '/queue/v10', 2);
      const client = await env.connect({});
      client.send('SUBSCRIBE', { destination: '/queue/v10', ack: 'client' });
      const [, m1] = await client.take(2, 'MESSAGE');
      await client.sendWithReceipt('ACK', { 'message-id': header(m1!, 'message-id')! });
      expect(stats('/queue/v10').unacked).to.equal(0);
    });

    it('has no NACK: an ERROR for an unknown command, then the close', async () => {
      const client = await env.connect({});
      client.send('NACK', { 'message-id': 'x', receipt: 'n' });
      await client.expectError({ message: /unknown command "NACK"/, receiptId: 'n' });
      await expectBrokerWorks(env);
    });
  });

  describe('unacknowledged messages', () => {
    it('go to another connection after UNSUBSCRIBE', async () => {
      await fill(producer, '/queue/back', 2);
      const a = await env.connect();
      a.send('SUBSCRIBE', { id: 'a', destination: '/queue/back', ack: 'client-individual' });
      const first = await a.take(2, 'MESSAGE');
      await a.sendWithReceipt('ACK', { id: header(first[0]!, 'ack')! });
      await a.sendWithReceipt('UNSUBSCRIBE', { id: 'a' });
      const b = await env.connect();
      b.send('SUBSCRIBE', { id: 'b', destination: '/queue/back' });
      const again = await b.next('MESSAGE');
      expect(again.body.toString()).to.equal('1');
      expect(header(again, 'redelivered')).to.equal('true');
      await b.expectSilence(20);
    });

    it('go to another connection after DISCONNECT', async () => {
      await fill(producer, '/queue/gone', 2);
      const a = await env.connect();
      a.send('SUBSCRIBE', { id: 'a', destination: '/queue/gone', ack: 'client' });
      await a.take(2, 'MESSAGE');
      const b = await env.connect();
      await b.sendWithReceipt('SUBSCRIBE', { id: 'b', destination: '/queue/gone', ack: 'client' });
      a.send('DISCONNECT', { receipt: 'bye' });
      expect(header(await a.next('RECEIPT'), 'receipt-id')).to.equal('bye');
      await a.waitClosed();
      const again = await b.take(2, 'MESSAGE');
      expect(bodies(again)).to.deep.equal(['0', '1']);
      expect(again.map((m) => header(m, 'redelivered'))).to.deep.equal(['true', 'true']);
    });

    it('go to another connection when the stream just closes', async () => {
      await fill(producer, '/queue/dropped', 1);
      const a = await env.connect();
      a.send('SUBSCRIBE', { id: 'a', destination: '/queue/dropped', ack: 'client-individual' });
      await a.next('MESSAGE');
      a.destroy();
      const b = await env.connect();
      b.send('SUBSCRIBE', { id: 'b', destination: '/queue/dropped' });
      expect(header(await b.next('MESSAGE'), 'redelivered')).to.equal('true');
    });
  });

  describe('prefetch-count', () => {
    it('keeps at most prefetch-count unacknowledged messages in flight', async () => {
      await fill(producer, '/queue/window', 5);
      const client = await env.connect();
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/window', ack: 'client-individual', 'prefetch-count': '2' });
      const firstTwo = await client.take(2, 'MESSAGE');
      expect(bodies(firstTwo)).to.deep.equal(['0', '1']);
      await client.expectSilence(30);
      expect(stats('/queue/window')).to.include({ unacked: 2, depth: 3 });
      client.send('ACK', { id: header(firstTwo[0]!, 'ack')! });
      expect((await client.next('MESSAGE')).body.toString()).to.equal('2');
      await client.expectSilence(20);
    });

    it('opens the whole window again after a cumulative ACK', async () => {
      await fill(producer, '/queue/window2', 6);
      const client = await env.connect();
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/window2', ack: 'client', 'prefetch-count': '3' });
      const batch = await client.take(3, 'MESSAGE');
      await client.expectSilence(20);
      client.send('ACK', { id: header(batch[2]!, 'ack')! });
      expect(bodies(await client.take(3, 'MESSAGE'))).to.deep.equal(['3', '4', '5']);
    });

    it('refuses a prefetch-count that is not a number', async () => {
      const client = await env.connect();
      client.send('SUBSCRIBE', { id: 's', destination: '/queue/a', ack: 'client', 'prefetch-count': 'lots' });
      await client.expectError({ message: /prefetch-count/ });
    });

    it('applies to topics too', async () => {
      const client = await env.connect();
      await client.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/topic/window', ack: 'client-individual', 'prefetch-count': '1' });
      await fill(producer, '/topic/window', 2);
      const first = await client.next('MESSAGE');
      await client.expectSilence(20);
      client.send('ACK', { id: header(first, 'ack')! });
      expect((await client.next('MESSAGE')).body.toString()).to.equal('1');
    });
  });
});
