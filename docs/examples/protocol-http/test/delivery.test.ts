/**
 * What the adapter promises beyond the conformance suite: a poll's messages are acknowledged only
 * once its answer went out whole (at-least-once), flow control holds a publisher's answer back,
 * and a stopping broker answers waiting polls 503 with its reason.
 */
import { expect } from 'chai';
import { Duplex } from 'node:stream';
import { Broker, createLogger, type ListenerConfig } from '@wharf/core';
import { testConnection, testSecurityPlugin } from '@wharf/testkit';
import httpPlugin from '../src/index.js';
import { HttpAdapter } from '../src/adapter.js';
import { DEFAULT_HTTP_OPTIONS } from '../src/options.js';
import { HttpBrokerError } from '../src/client.js';
import { ALICE, alice, startHttpBroker } from './broker.js';

const eventually = async (condition: () => boolean, what: string): Promise<void> => {
  for (const deadline = Date.now() + 5000; !condition();) {
    if (Date.now() > deadline) throw new Error(`not within 5 s: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('http adapter: delivery guarantees', () => {
  let broker: Broker;
  afterEach(() => broker.stop());

  it('a poll whose answer never went out whole acknowledges nothing: the next poll gets the message, redelivered', async () => {
    broker = await startHttpBroker();
    await alice(broker).publish('/queue/lost-answer', 'second chance');
    // A connection whose client stopped reading: no write to it ever completes. (Over loopback TCP
    // the kernel would buffer tens of MiB first; the stream makes the stall exact.)
    const stalled = new Duplex({ read() {}, write() {} });
    const adapter = new HttpAdapter(createLogger('silent'));
    const listener: ListenerConfig = { protocol: 'http', transport: 'tcp', host: '127.0.0.1', port: 0, options: { ...DEFAULT_HTTP_OPTIONS } };
    adapter.accept(stalled, testConnection({ protocol: 'http' }), broker.mqm, listener);
    const basic = Buffer.from(`${ALICE.login}:${ALICE.passcode}`).toString('base64');
    stalled.push(`GET /poll/queue/lost-answer HTTP/1.1\r\nhost: x\r\nauthorization: Basic ${basic}\r\n\r\n`);
    await eventually(() => broker.mqm.destinationStats('/queue/lost-answer').unacked === 1, 'the poll took the message');
    stalled.destroy();
    await eventually(() => broker.mqm.sessionCount === 0, 'the poll\'s session closed with its client');
    const [again] = await alice(broker).poll('/queue/lost-answer');
    expect(again!.body.toString()).to.equal('second chance');
    expect(again!.redelivered).to.equal(true);
    expect(again!.deliveryCount).to.equal(2);
  });

  it('flow control: a publish to a queue over its high-watermark is answered once consumers caught up', async () => {
    broker = await Broker.create({
      plugins: ['@wharf/queue-queue', httpPlugin, testSecurityPlugin()],
      listeners: [{ protocol: 'http', host: '127.0.0.1', port: 0 }],
      routing: { rules: [{ match: '^/queue/bounded', type: 'queue', options: { highWaterMarkBytes: 1024 } }], prefixes: { '/queue/': 'queue' }, fallback: 'reject' },
    }, { logger: createLogger('silent') });
    await broker.start();
    let answered = false;
    const publish = alice(broker).publish('/queue/bounded', Buffer.alloc(2048)).then(() => { answered = true; });
    await eventually(() => broker.mqm.pausedSessions === 1, 'the publisher\'s session is paused');
    expect(broker.mqm.destinationStats('/queue/bounded').depth, 'the message was accepted').to.equal(1);
    expect(answered, 'the answer waits while the queue is over its mark').to.equal(false);
    expect((await alice(broker).poll('/queue/bounded')).length).to.equal(1);
    await publish;
    expect(broker.mqm.sessionCount).to.equal(0);
  });

  it('a stopping broker answers a waiting poll 503, saying why', async () => {
    broker = await startHttpBroker();
    const poll = alice(broker).poll('/queue/stopping', { waitMs: 5000 }).then(() => undefined, (err: HttpBrokerError) => err);
    await eventually(() => broker.mqm.lookup('/queue/stopping')?.stats().subscribers === 1, 'the poll waits');
    await broker.stop();
    const refusal = await poll;
    expect(refusal).to.be.instanceOf(HttpBrokerError);
    expect(refusal).to.include({ status: 503, code: 'WHARF_ERR_CLOSED', message: 'the broker is shutting down' });
  });
});
