/**
 * Two protocols, one broker (issue 8): a STOMP client (@stomp/stompjs over TCP) and a JSONL client
 * (the docs example's own client) exchange messages through a queue, a topic and a pubsub child,
 * both ways, and are refused with the same words by the same security plugin. The JSONL adapter is
 * loaded the way a user would load a third-party adapter: a config entry naming its folder.
 */
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { Broker, createLogger } from '@wharf/core';
import { TEST_USERS, testSecurityPlugin } from '@wharf/testkit';
import { JsonlClient, type JsonlMessage } from 'wharf-protocol-jsonl/client';
import { Tracker, stompOverTcp, waitFor, type StompClient } from './helpers.js';

/** Plugin paths in the config are relative to this folder (test/e2e/). */
const CONFIG_DIR = fileURLToPath(new URL('../', import.meta.url));
const ALICE = { login: 'alice', passcode: TEST_USERS.alice!.passcode };
const GUEST = { login: 'guest', passcode: TEST_USERS.guest!.passcode };
const PUBSUB = '/pubsub/interop';
const CHILD = '/queue/interop-child';
/** Binary-safe both ways: NUL ends STOMP frames, LF ends JSONL lines. */
const BODY = Buffer.concat([Buffer.from([0, 10, 13, 58, 92, 255]), Buffer.from(' interop ✓')]);

type Route = { readonly kind: string; readonly sendTo: string; readonly receiveFrom: string };
const ROUTES: readonly Route[] = [
  { kind: 'queue', sendTo: '/queue/interop', receiveFrom: '/queue/interop' },
  { kind: 'topic', sendTo: '/topic/interop', receiveFrom: '/topic/interop' },
  { kind: 'pubsub child', sendTo: PUBSUB, receiveFrom: CHILD },
];

describe('e2e: STOMP and JSONL clients on one broker', function () {
  let broker: Broker;
  let stompPort: number;
  let jsonlPort: number;
  const stompClients = new Tracker();
  const jsonlClients = new Tracker();

  before(async () => {
    broker = await Broker.create({
      plugins: [
        '@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', '@wharf/queue-command', '@wharf/protocol-stomp',
        '../../docs/examples/protocol-jsonl', // a third-party adapter, by the path to its folder
        testSecurityPlugin(),
      ],
      listeners: [
        { protocol: 'stomp', host: '127.0.0.1', port: 0 },
        { protocol: 'jsonl', host: '127.0.0.1', port: 0 },
      ],
      pubsub: { [PUBSUB]: { children: [CHILD] } },
    }, { configDir: CONFIG_DIR, logger: createLogger(process.env.WHARF_TEST_LOG ?? 'silent', process.stderr) });
    await broker.start();
    stompPort = broker.listeners.find((l) => l.config.protocol === 'stomp')!.port;
    jsonlPort = broker.listeners.find((l) => l.config.protocol === 'jsonl')!.port;
  });
  afterEach(async () => {
    await Promise.all([stompClients.closeAll(), jsonlClients.closeAll()]);
  });
  after(() => broker.stop());

  const stomp = (credentials = ALICE): Promise<StompClient> =>
    stompOverTcp(stompPort, { connectHeaders: { login: credentials.login, passcode: credentials.passcode } }, stompClients);
  const jsonl = async (credentials = ALICE): Promise<JsonlClient> => jsonlClients.track(await JsonlClient.connect(jsonlPort, credentials));
  const received = async (client: JsonlClient): Promise<JsonlMessage> => {
    const message = await client.nextMessage();
    if (message === undefined) throw new Error('the JSONL client received nothing');
    return message;
  };

  for (const { kind, sendTo, receiveFrom } of ROUTES) {
    it(`${kind}: a STOMP client's message reaches a JSONL subscriber, bytes and headers intact`, async () => {
      const subscriber = await jsonl();
      await subscriber.subscribe(receiveFrom, { id: 'interop' });
      const sender = await stomp();
      await sender.publishConfirmed(sendTo, BODY, { 'x-from': 'stomp', 'content-type': 'application/octet-stream' });
      const message = await received(subscriber);
      expect(message.body.equals(BODY)).to.equal(true);
      expect(message.headers).to.include({ 'x-from': 'stomp', 'content-type': 'application/octet-stream' });
      expect(message.destination).to.equal(receiveFrom);
    });

    it(`${kind}: a JSONL client's message reaches a STOMP subscriber, bytes and headers intact`, async () => {
      const subscriber = await stomp();
      const collected = await subscriber.subscribe(receiveFrom);
      const sender = await jsonl();
      await sender.send(sendTo, BODY, { 'x-from': 'jsonl', 'content-type': 'application/octet-stream' });
      const [message] = await collected.waitCount(1);
      expect(Buffer.from(message!.binaryBody).equals(BODY)).to.equal(true);
      expect(message!.headers).to.include({ 'x-from': 'jsonl', 'content-type': 'application/octet-stream', destination: receiveFrom });
    });
  }

  it('gives a message a JSONL client left unacknowledged to a STOMP client, marked redelivered', async () => {
    const leaving = await jsonl();
    await leaving.subscribe('/queue/interop-redelivery', { id: 'leaving', ack: 'client-individual' });
    await leaving.send('/queue/interop-redelivery', 'second chance');
    expect((await received(leaving)).redelivered).to.equal(false);
    await leaving.close();
    const taker = await stomp();
    const collected = await taker.subscribe('/queue/interop-redelivery', { ack: 'client-individual' });
    const [message] = await collected.waitCount(1);
    expect(message!.body).to.equal('second chance');
    expect(message!.headers.redelivered).to.equal('true');
  });

  describe('the same security rules for both protocols', () => {
    it('refuses bad credentials with the same text, then closes, whatever the protocol', async () => {
      let stompError: string | undefined;
      let stompClosed = false;
      await stompOverTcp(stompPort, {
        connectHeaders: { login: 'alice', passcode: 'wrong' },
        onStompError: (frame) => { stompError = frame.headers.message; },
        onWebSocketClose: () => { stompClosed = true; },
      }, stompClients).catch(() => undefined);
      await waitFor(() => stompClosed, 5000, 'the STOMP connection to close');

      const jsonlRefusal = await JsonlClient.connect(jsonlPort, { login: 'alice', passcode: 'wrong' }).then(() => undefined, (err: Error) => err);
      expect(stompError).to.equal('bad credentials');
      expect(jsonlRefusal?.message).to.equal(stompError);
      expect(broker.mqm.sessionCount).to.equal(0);
    });

    it('refuses a send the user may not make with the same text, then closes, whatever the protocol', async () => {
      const stompGuest = await stomp(GUEST);
      stompGuest.client.publish({ destination: '/queue/interop-forbidden', body: 'no' });
      const stompError = (await stompGuest.nextError()).headers.message;
      await stompGuest.waitClosed();

      const jsonlGuest = await jsonl(GUEST);
      await jsonlGuest.send('/queue/interop-forbidden', 'no', {}, { receipt: false });
      const jsonlError = await jsonlGuest.expectError();
      expect(stompError).to.equal('write access to /queue/interop-forbidden refused for user guest');
      expect(jsonlError.message).to.equal(stompError);
      expect(jsonlError.code).to.equal('WHARF_ERR_ACCESS_DENIED');
    });
  });
});
