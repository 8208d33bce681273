/**
 * HTTP and STOMP on one broker: a message published over HTTP reaches a STOMP subscriber, and one
 * a STOMP client sends is polled over HTTP, through a queue, a topic and a pubsub child, bytes and
 * headers intact. The adapter is loaded the way a user loads a third-party adapter: a config entry
 * naming its folder.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { testSecurityPlugin } from '@wharf/testkit';
import { HttpBrokerClient } from '../src/client.js';
import { ALICE } from './broker.js';
import { StompPeer } from './stomp.js';

/** This package's folder: the plugin entry `./` below is relative to it. */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));
/** Binary-safe both ways: NUL ends STOMP frames; JSON carries the bytes as base64. */
const BODY = Buffer.concat([Buffer.from([0, 10, 13, 58, 92, 255]), Buffer.from(' interop ✓')]);
const PUBSUB = '/pubsub/interop';
const CHILD = '/queue/interop-child';

const ROUTES = [
  { kind: 'queue', sendTo: '/queue/interop', receiveFrom: '/queue/interop' },
  { kind: 'topic', sendTo: '/topic/interop', receiveFrom: '/topic/interop' },
  { kind: 'pubsub child', sendTo: PUBSUB, receiveFrom: CHILD },
] as const;

describe('e2e: HTTP and STOMP clients on one broker', () => {
  let broker: Broker;
  let http: HttpBrokerClient;
  let stompPort: number;
  const peers: StompPeer[] = [];
  const stomp = async (): Promise<StompPeer> => {
    const peer = await StompPeer.connect(stompPort, ALICE.login, ALICE.passcode);
    peers.push(peer);
    return peer;
  };

  before(async () => {
    broker = await Broker.create({
      plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', '@wharf/queue-command', '@wharf/protocol-stomp', './', testSecurityPlugin()],
      listeners: [{ protocol: 'stomp', host: '127.0.0.1', port: 0 }, { protocol: 'http', host: '127.0.0.1', port: 0 }],
      pubsub: { [PUBSUB]: { children: [CHILD] } },
    }, { configDir: PACKAGE_DIR, logger: createLogger(process.env.WHARF_TEST_LOG ?? 'silent', process.stderr) });
    await broker.start();
    stompPort = broker.listeners[0]!.port;
    http = new HttpBrokerClient({ port: broker.listeners[1]!.port, ...ALICE });
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.close()));
  });
  after(() => broker.stop());

  it('loads the adapter from its folder', () => {
    expect(broker.plugins.map((p) => p.definition.name)).to.include('protocol-http');
  });

  for (const { kind, sendTo, receiveFrom } of ROUTES) {
    it(`${kind}: an HTTP publish reaches a STOMP subscriber, bytes and headers intact`, async () => {
      const subscriber = await stomp();
      await subscriber.subscribe(receiveFrom);
      await http.publish(sendTo, BODY, { headers: { 'x-from': 'http', 'content-type': 'application/octet-stream' } });
      const message = await subscriber.nextMessage();
      expect(Buffer.from(message.binaryBody).equals(BODY)).to.equal(true);
      expect(message.headers).to.include({ 'x-from': 'http', 'content-type': 'application/octet-stream', destination: receiveFrom });
    });

    it(`${kind}: a STOMP send is polled over HTTP, bytes and headers intact`, async () => {
      const sender = await stomp();
      // A topic keeps nothing for later: the poll must be waiting when the message is sent.
      const poll = http.poll(receiveFrom, { max: 5, waitMs: 5000 });
      while (broker.mqm.lookup(receiveFrom)?.stats().subscribers !== 1) await new Promise((r) => setTimeout(r, 5));
      await sender.send(sendTo, BODY, { 'x-from': 'stomp', 'content-type': 'application/octet-stream' });
      const [message, ...rest] = await poll;
      expect(rest).to.deep.equal([]);
      expect(message!.body.equals(BODY)).to.equal(true);
      expect(message!.headers).to.include({ 'x-from': 'stomp', 'content-type': 'application/octet-stream' });
      expect(message!.destination).to.equal(receiveFrom);
    });
  }

  it('refuses bad credentials with the STOMP adapter\'s very words', async () => {
    const stompRefusal = await StompPeer.connect(stompPort, 'alice', 'wrong').then(() => undefined, (err: Error) => err.message);
    const httpRefusal = await new HttpBrokerClient({ port: broker.listeners[1]!.port, login: 'alice', passcode: 'wrong' })
      .publish('/queue/interop', 'x').then(() => undefined, (err: Error) => err.message);
    expect(stompRefusal).to.equal('bad credentials');
    expect(httpRefusal).to.equal(stompRefusal);
  });
});
