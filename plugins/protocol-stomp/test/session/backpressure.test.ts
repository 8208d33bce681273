import { expect } from 'chai';
import { delay, eventually, header, show, startStompBroker, type StompTestBroker, type StompTestClient } from './helpers.js';

const COUNT = 200;
const BODY = 1024;

function body(i: number): Buffer {
  const b = Buffer.alloc(BODY, 0x61 + (i % 26));
  b.write(String(i).padStart(6, '0'));
  return b;
}

/** Sends COUNT numbered messages and waits for the RECEIPT of the last. */
async function produce(producer: StompTestClient, destination: string): Promise<void> {
  for (let i = 0; i < COUNT - 1; i++) producer.send('SEND', { destination }, body(i));
  await producer.sendWithReceipt('SEND', { destination }, body(COUNT - 1));
}

/** Takes COUNT messages and checks they are exactly 0..COUNT-1, in order, intact. */
async function consumeAll(consumer: StompTestClient): Promise<void> {
  const messages = await consumer.take(COUNT, 'MESSAGE');
  const numbers = messages.map((m) => Number(m.body.subarray(0, 6).toString()));
  expect(numbers).to.deep.equal([...Array(COUNT).keys()]);
  for (const [i, m] of messages.entries()) expect(m.body.equals(body(i)), `body ${i}`).to.equal(true);
  await consumer.expectSilence(20);
}

describe('STOMP session: backpressure (issue 4 Transports: deliver() false, resume on drain)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker();
  });
  afterEach(async () => {
    await env.stop();
  });
  const stats = (destination: string) => env.broker.mqm.destinationStats(destination);

  for (const writeHighWaterMark of [1024, 64 * 1024]) {
    it(`stalls a queue for a client that does not read and resumes when it reads (writeHighWaterMark ${writeHighWaterMark})`, async () => {
      const consumer = await env.connect(undefined, { writeHighWaterMark });
      await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/slow' });
      consumer.stream.pause();
      const producer = await env.connect();
      await produce(producer, '/queue/slow');
      // The queue keeps what the client cannot take: its depth grows, deliveries stall.
      await delay(50);
      const stalled = stats('/queue/slow');
      expect(stalled.depth).to.be.greaterThan(0);
      expect(stalled.delivered).to.be.lessThan(COUNT);
      await delay(50);
      expect(stats('/queue/slow').delivered).to.equal(stalled.delivered);
      consumer.stream.resume();
      await consumeAll(consumer);
      expect(stats('/queue/slow')).to.include({ depth: 0, delivered: COUNT });
    });
  }

  it('lets another subscriber of the queue take what the stalled one cannot', async () => {
    const slow = await env.connect(undefined, { writeHighWaterMark: 1024 });
    await slow.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/shared' });
    slow.stream.pause();
    const fast = await env.connect();
    await fast.sendWithReceipt('SUBSCRIBE', { id: 'f', destination: '/queue/shared' });
    const producer = await env.connect();
    await produce(producer, '/queue/shared');
    await eventually(() => fast.received.length + stats('/queue/shared').depth > 0 && stats('/queue/shared').depth === 0);
    slow.stream.resume();
    await delay(30);
    const seen = [...fast.received, ...slow.received].map((m) => Number(m.body.subarray(0, 6).toString()));
    expect(seen.sort((a, b) => a - b)).to.deep.equal([...Array(COUNT).keys()]);
    expect(fast.received.length).to.be.greaterThan(slow.received.length);
  });

  it('buffers topic messages for a client that does not read and delivers them all when it reads', async () => {
    const consumer = await env.connect(undefined, { writeHighWaterMark: 1024 });
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/topic/slow' });
    consumer.stream.pause();
    const producer = await env.connect();
    await produce(producer, '/topic/slow');
    await delay(50);
    expect(stats('/topic/slow').delivered).to.be.lessThan(COUNT);
    consumer.stream.resume();
    await consumeAll(consumer);
  });

  it('keeps acknowledgements working across a stall (client-individual)', async () => {
    const consumer = await env.connect(undefined, { writeHighWaterMark: 1024 });
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/acks', ack: 'client-individual' });
    consumer.stream.pause();
    const producer = await env.connect();
    await produce(producer, '/queue/acks');
    consumer.stream.resume();
    const messages = await consumer.take(COUNT, 'MESSAGE');
    for (const m of messages) consumer.send('ACK', { id: header(m, 'ack')! });
    await eventually(() => stats('/queue/acks').unacked === 0);
    // Nothing else came (an ERROR would explain a failure below).
    expect(consumer.received.map(show)).to.deep.equal([]);
    expect(stats('/queue/acks')).to.include({ depth: 0, delivered: COUNT, subscribers: 1 });
  });
});
