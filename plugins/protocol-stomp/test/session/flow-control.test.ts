import { expect } from 'chai';
import { delay, eventually, header, startStompBroker, type StompTestBroker } from './helpers.js';

const COUNT = 300;
const BODY = 1024;
const HIGH_WATER = 32 * 1024;

function body(i: number): Buffer {
  const b = Buffer.alloc(BODY, 0x61 + (i % 26));
  b.write(String(i).padStart(6, '0'));
  return b;
}

describe('STOMP session: flow control (a producer that outruns its consumers is not read)', () => {
  let env: StompTestBroker;
  beforeEach(async () => {
    env = await startStompBroker({
      routing: {
        rules: [{ match: '^/queue/bounded', type: 'queue', options: { highWaterMarkBytes: HIGH_WATER } }],
        prefixes: { '/queue/': 'queue', '/topic/': 'topic' },
        fallback: 'topic',
      },
    });
  });
  afterEach(async () => {
    await env.stop();
  });
  const stats = (destination: string) => env.broker.mqm.destinationStats(destination);

  it('stops reading a producer whose queue passed its high-watermark, loses nothing, and reads it again once consumers caught up', async () => {
    const producer = await env.connect();
    for (let i = 0; i < COUNT; i++) producer.send('SEND', { destination: '/queue/bounded' }, body(i));
    await eventually(() => env.broker.mqm.pausedSessions === 1, 2000, 'the producer is paused');
    await delay(50);
    const held = stats('/queue/bounded').depth;
    // What was read is kept (one read past the mark at most); the rest waits in the producer's stream.
    expect(held * BODY).to.be.at.least(HIGH_WATER);
    expect(held * BODY).to.be.below(HIGH_WATER + 64 * 1024);
    expect(producer.stream.writableLength, 'the producer\'s writes are held up').to.be.greaterThan(0);
    await delay(50);
    expect(stats('/queue/bounded').depth, 'nothing more is read').to.equal(held);

    const consumer = await env.connect();
    consumer.send('SUBSCRIBE', { id: 's', destination: '/queue/bounded' });
    const messages = await consumer.take(COUNT, 'MESSAGE');
    expect(messages.map((m) => Number(m.body.subarray(0, 6).toString()))).to.deep.equal([...Array(COUNT).keys()]);
    for (const [i, m] of messages.entries()) expect(m.body.equals(body(i)), `body ${i}`).to.equal(true);
    await consumer.expectSilence(20);
    expect(env.broker.mqm.pausedSessions).to.equal(0);
    expect(stats('/queue/bounded')).to.include({ depth: 0, delivered: COUNT });
  });

  it('pauses a client that sends during a memory alarm to the queue holding the memory, after accepting its message, while a client that only consumes keeps acknowledging and one sending elsewhere goes on', async () => {
    const consumer = await env.connect();
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/work', ack: 'client-individual', 'prefetch-count': '1' });
    const producer = await env.connect();
    await producer.sendWithReceipt('SEND', { destination: '/queue/work' }, 'one');
    await producer.sendWithReceipt('SEND', { destination: '/queue/work' }, 'backlog'); // held: the window is full
    const first = await consumer.next('MESSAGE');

    env.broker.mqm.alarmChanged(true); // as the FlowController does past limits.memoryHighWaterMark
    expect(env.broker.mqm.hotDestinations).to.deep.equal(['/queue/work']);
    expect(env.broker.mqm.pausedSessions, 'nobody before sending').to.equal(0);
    const other = await env.connect();
    await other.sendWithReceipt('SEND', { destination: '/queue/unrelated' }, 'fine');
    expect(env.broker.mqm.pausedSessions, 'a sender elsewhere is not paused').to.equal(0);
    await producer.sendWithReceipt('SEND', { destination: '/queue/work' }, 'two');
    expect(env.broker.mqm.pausedSessions, 'the sender, once it sent').to.equal(1);
    producer.send('SEND', { destination: '/queue/work' }, 'three');
    consumer.send('ACK', { id: header(first, 'ack')! });
    const second = await consumer.next('MESSAGE');
    expect(second.body.toString()).to.equal('backlog');
    consumer.send('ACK', { id: header(second, 'ack')! });
    const third = await consumer.next('MESSAGE');
    expect(third.body.toString()).to.equal('two');
    await consumer.sendWithReceipt('ACK', { id: header(third, 'ack')! });
    await consumer.expectSilence(50);
    expect(env.broker.mqm.pausedSessions, 'the consumer is still read, the producer is not').to.equal(1);
    await other.sendWithReceipt('SEND', { destination: '/queue/unrelated' }, 'still fine');

    env.broker.mqm.alarmChanged(false);
    const fourth = await consumer.next('MESSAGE');
    expect(fourth.body.toString()).to.equal('three');
    expect(env.broker.mqm.pausedSessions).to.equal(0);
  });

  it('does not take a paused client for gone because its heart-beats cannot be read', async () => {
    const consumer = await env.connect();
    await consumer.sendWithReceipt('SUBSCRIBE', { id: 's', destination: '/queue/hb', ack: 'client-individual', 'prefetch-count': '1' });
    const producer = await env.connect({ 'accept-version': '1.2', host: 'localhost', 'heart-beat': '40,0' }, { heartBeat: [0, 40] });
    await producer.sendWithReceipt('SEND', { destination: '/queue/hb' }, 'w');
    await producer.sendWithReceipt('SEND', { destination: '/queue/hb' }, 'held'); // the queue holds memory
    env.broker.mqm.alarmChanged(true);
    producer.send('SEND', { destination: '/queue/hb' }, 'x');
    await eventually(() => env.broker.mqm.pausedSessions === 1, 2000, 'the producer is paused');
    const w = await consumer.next('MESSAGE');
    consumer.send('ACK', { id: header(w, 'ack')! });
    const held = await consumer.next('MESSAGE');
    consumer.send('ACK', { id: header(held, 'ack')! });
    const x = await consumer.next('MESSAGE');
    await consumer.sendWithReceipt('ACK', { id: header(x, 'ack')! });
    await delay(200); // five heart-beat intervals of silence while it is not read
    expect(producer.closed).to.equal(false);
    env.broker.mqm.alarmChanged(false);
    await producer.sendWithReceipt('SEND', { destination: '/queue/hb' }, 'y');
    const y = await consumer.next('MESSAGE');
    expect(y.body.toString()).to.equal('y');
  });
});
