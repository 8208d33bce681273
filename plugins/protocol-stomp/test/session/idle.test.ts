import { expect } from 'chai';
import { checkAgainstSchema } from '@wharf/core';
import { resolveStompOptions, stompOptionsSchema } from '../../src/options.js';
import { delay, header, startStompBroker, type StompTestBroker, type StompTestClient } from './helpers.js';

const IDLE = { idleTimeoutMs: 300 };
const NO_BEATS = { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '0,0' };

/** Runs `action` every `everyMs` for `forMs`, then stops. */
async function keepDoing(forMs: number, everyMs: number, action: () => void): Promise<void> {
  const end = Date.now() + forMs;
  while (Date.now() < end) {
    action();
    await delay(everyMs);
  }
}

describe('STOMP session: the idle limit (idleTimeoutMs)', () => {
  let env: StompTestBroker;
  beforeEach(async () => { env = await startStompBroker(); });
  afterEach(() => env.stop());

  async function connected(headers: Record<string, string> = NO_BEATS, options: Record<string, unknown> = IDLE): Promise<StompTestClient> {
    const client = env.open(options);
    await client.connect(headers);
    return client;
  }

  it('defaults to 5 minutes and takes 0 (off); a negative value is refused', () => {
    expect(resolveStompOptions(undefined).idleTimeoutMs).to.equal(300000);
    expect(resolveStompOptions({ idleTimeoutMs: 0 }).idleTimeoutMs).to.equal(0);
    expect(checkAgainstSchema(stompOptionsSchema, { idleTimeoutMs: -1 }, [], 'stomp').issues).to.have.length(1);
  });

  it('closes a session that agreed no heart-beats and did nothing, with an ERROR naming the option', async () => {
    const client = await connected();
    const error = await client.expectError({ message: /idleTimeoutMs/, timeoutMs: 3000 });
    expect(header(error, 'message')).to.match(/^idle for \d+ ms with no heart-beats from the client/);
    expect(error.body.toString()).to.include('heart-beat:10000,10000');
    await client.waitClosed();
    expect(env.broker.mqm.sessionCount).to.equal(0);
  });

  it('closes a STOMP 1.0 session (which has no heart-beats) the same way', async () => {
    const client = await connected({ host: 'localhost' });
    await client.expectError({ message: /idleTimeoutMs/, timeoutMs: 3000 });
  });

  it('does not count the server\'s own heart-beats: a client that only asked for beats is idle', async () => {
    const client = await connected({ ...NO_BEATS, 'heart-beat': '0,100' });
    await client.expectError({ message: /idleTimeoutMs/, timeoutMs: 3000 });
    expect(client.heartBeats.length, 'beats were sent meanwhile').to.be.greaterThan(0);
  });

  it('keeps a session that sends something (a frame or a bare EOL) within each timeout', async () => {
    const eol = await connected();
    const sender = await connected();
    await keepDoing(1200, 100, () => {
      eol.sendRaw('\n');
      sender.send('SEND', { destination: '/topic/nobody' }, 'x');
    });
    expect(eol.closed).to.equal(false);
    expect(sender.closed).to.equal(false);
    expect(eol.received.map((f) => f.command), 'no ERROR').to.deep.equal([]);
  });

  it('keeps a session that only receives: what is written to it counts', async () => {
    const consumer = await connected();
    consumer.send('SUBSCRIBE', { id: 's', destination: '/topic/ticks' });
    const producer = await connected({ ...NO_BEATS }, { idleTimeoutMs: 0 });
    await keepDoing(1200, 100, () => producer.send('SEND', { destination: '/topic/ticks' }, 'tick'));
    expect(consumer.closed).to.equal(false);
    expect(consumer.received.filter((f) => f.command === 'MESSAGE').length).to.be.greaterThan(3);
  });

  it('leaves a silent session open when the listener says 0, and one with client heart-beats to heart-beat checking', async () => {
    const off = await connected(NO_BEATS, { idleTimeoutMs: 0 });
    const beating = await connected({ ...NO_BEATS, 'heart-beat': '100,0' });
    await keepDoing(1000, 50, () => beating.sendRaw('\n'));
    expect(off.closed).to.equal(false);
    expect(beating.closed).to.equal(false);
  });

  it('does not close a session while flow control keeps it from being read', async () => {
    const client = await connected();
    const connection = [...(env.adapter as unknown as { connections: Set<{ pauseReading(): void; resumeReading(): void }> }).connections][0]!;
    connection.pauseReading();
    await delay(900);
    expect(client.closed).to.equal(false);
    connection.resumeReading();
    await client.expectError({ message: /idleTimeoutMs/, timeoutMs: 3000 });
  });
});
