/**
 * The conformance suite every protocol adapter passes, first-party or not: connect and refuse,
 * send and receive on each queue type, acknowledgement and redelivery, backpressure, clean close.
 * It starts a real broker with a real TCP listener for the adapter (core's transport, port 0) and a
 * test security plugin, and talks to it through the author's driver (protocol-driver.ts). A bug
 * found in one adapter becomes a test here, and every adapter gets it.
 *
 *   describeProtocolAdapter('stomp', {
 *     plugins: ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', stompPlugin],
 *     protocol: 'stomp',
 *     driver: stompDriver,   // a small STOMP client: see protocol-driver.ts
 *   });
 */
import { afterEach, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import type { Broker, PluginEntry } from '@wharf/core';
import { startTestBroker } from './harness.js';
import type { ProtocolTestCredentials, ProtocolTestDriver, TestProtocolClient } from './protocol-driver.js';
import { expectNothing as quiet, receive as receiveOne, receiveAll as receiveMany, rejection, sleep, text, until as untilWithin, within } from './protocol-waits.js';
import { TEST_USERS, testSecurityPlugin } from './test-security.js';

export type * from './protocol-driver.js';
export { TEST_USERS, testSecurityPlugin, type TestUser } from './test-security.js';

export interface ProtocolAdapterSuiteOptions {
  /**
   * The plugins to load: the adapter under test and queue types named `queue`, `topic` and
   * `pubsub` (the first-party `@wharf/queue-*` packages). The suite adds its security plugin.
   */
  readonly plugins: readonly PluginEntry[];
  /** The protocol name the adapter registers (a listener's `protocol`). */
  readonly protocol: string;
  readonly driver: ProtocolTestDriver;
  /** The listener's `options`, checked against the adapter's schema. */
  readonly listenerOptions?: Record<string, unknown>;
  /** Folder relative plugin paths are resolved from. */
  readonly configDir?: string;
  /** Longest wait for anything the broker should do (ms); default 5000. */
  readonly timeoutMs?: number;
  /** Enough bytes to fill socket buffers and the adapter's write buffer; default 320 × 64 KiB. */
  readonly backpressure?: { readonly messages?: number; readonly bodyBytes?: number };
}

const ALICE: ProtocolTestCredentials = { login: 'alice', passcode: TEST_USERS.alice!.passcode };
const GUEST: ProtocolTestCredentials = { login: 'guest', passcode: TEST_USERS.guest!.passcode };
/** How long "nothing arrives" is watched for. */
const QUIET_MS = 250;
const PUBSUB = '/pubsub/conformance';
const PUBSUB_QUEUE = '/queue/conformance-copies';
const PUBSUB_TOPIC = '/topic/conformance-copies';

/** Registers a mocha `describe` block that checks a protocol adapter against the broker's contracts. */
export function describeProtocolAdapter(name: string, options: ProtocolAdapterSuiteOptions): void {
  const timeout = options.timeoutMs ?? 5000;
  const bpMessages = options.backpressure?.messages ?? 320;
  const bpBodyBytes = options.backpressure?.bodyBytes ?? 64 * 1024;

  describe(`protocol adapter conformance: ${name}`, function () {
    this.timeout(Math.max(20_000, timeout * 4));
    let broker: Broker;
    let port: number;
    let clients: TestProtocolClient[] = [];
    let counter = 0;
    const fresh = (prefix: '/queue/' | '/topic/'): string => `${prefix}conformance-${++counter}`;

    const connect = async (credentials: ProtocolTestCredentials = ALICE): Promise<TestProtocolClient> => {
      const client = await within(options.driver.connect(port, credentials), timeout, 'connect');
      clients.push(client);
      return client;
    };
    const receive = (client: TestProtocolClient) => receiveOne(client, timeout);
    const receiveAll = (client: TestProtocolClient, count: number) => receiveMany(client, count, timeout);
    const expectNothing = (client: TestProtocolClient, why: string) => quiet(client, QUIET_MS, why);
    const sendAll = async (client: TestProtocolClient, destination: string, bodies: readonly string[]): Promise<void> => {
      for (const body of bodies) await client.send(destination, Buffer.from(body), {}, { receipt: true });
    };
    const sessionIds = (): string[] => broker.mqm.listSessions().map((s) => s.id);
    const until = (condition: () => boolean, what: string) => untilWithin(condition, timeout, what);

    beforeEach(async () => {
      broker = await startTestBroker({
        plugins: [...options.plugins, testSecurityPlugin()],
        listeners: [{ protocol: options.protocol, transport: 'tcp', host: '127.0.0.1', port: 0, options: options.listenerOptions ?? {} }],
        routing: { rules: [], prefixes: { '/queue/': 'queue', '/topic/': 'topic', '/pubsub/': 'pubsub' }, fallback: 'reject' },
        pubsub: { [PUBSUB]: { children: [PUBSUB_QUEUE, PUBSUB_TOPIC] } },
      }, options.configDir ? { configDir: options.configDir } : {});
      port = broker.listeners[0]!.port;
      clients = [];
    });

    afterEach(async () => {
      // A paused client would never read the close; a hung close must not hang the next test.
      await Promise.all(clients.map((c) => {
        c.resume();
        return within(c.close(), timeout, 'close').catch(() => undefined);
      }));
      await broker.stop();
    });

    describe('connect', () => {
      it('opens a session for good credentials, as the user they name', async () => {
        const client = await connect();
        const sessions = broker.mqm.listSessions();
        expect(sessions).to.have.length(1);
        expect(sessions[0]).to.include({ user: 'alice', protocol: options.protocol });
        if (client.sessionId !== undefined) expect(sessions[0]!.id).to.equal(client.sessionId);
      });

      it('refuses bad credentials with an error, then closes the connection', async () => {
        const refused = await rejection(within(options.driver.connect(port, { login: 'alice', passcode: 'wrong' }), timeout, 'refusal'));
        expect(refused.message).to.include('bad credentials');
        expect(broker.mqm.sessionCount).to.equal(0);
      });

      it('refuses an unknown user with the very same text, so guessers learn nothing', async () => {
        const refusal = (credentials: ProtocolTestCredentials) => rejection(within(options.driver.connect(port, credentials), timeout, 'refusal'));
        const wrongPasscode = await refusal({ login: 'alice', passcode: 'wrong' });
        const unknownUser = await refusal({ login: 'mallory', passcode: 'wrong' });
        const noCredentials = await refusal({});
        expect(unknownUser.message).to.equal(wrongPasscode.message);
        expect(noCredentials.message).to.equal(wrongPasscode.message);
      });
    });

    describe('send and receive', () => {
      it('queue: holds messages for the first subscriber, then gives each message to one subscriber', async () => {
        const destination = fresh('/queue/');
        const sender = await connect();
        await sendAll(sender, destination, ['held-1', 'held-2', 'held-3']);
        const first = await connect();
        await first.subscribe(destination, { id: 'first' });
        expect((await receiveAll(first, 3)).map(text)).to.deep.equal(['held-1', 'held-2', 'held-3']);
        const second = await connect();
        await second.subscribe(destination, { id: 'second' });
        const live = ['live-1', 'live-2', 'live-3', 'live-4'];
        await sendAll(sender, destination, live);
        const got: string[] = [];
        for (const client of [first, second]) {
          for (let m = await client.nextMessage(QUIET_MS); m !== undefined; m = await client.nextMessage(QUIET_MS)) got.push(text(m));
        }
        expect(got.sort(), 'each message reaches exactly one subscriber').to.deep.equal(live);
      });

      it('carries bodies byte for byte, the sender\'s headers, a message id and the destination', async () => {
        const destination = fresh('/queue/');
        const client = await connect();
        await client.subscribe(destination, { id: 'bytes' });
        const body = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)); // NUL, LF, ':', 0xff...
        await client.send(destination, body, { 'x-conformance': 'yes', 'content-type': 'application/octet-stream' }, { receipt: true });
        await client.send(destination, Buffer.alloc(0), {}, { receipt: true });
        const [bytes, empty] = await receiveAll(client, 2);
        expect(bytes!.body.equals(body), 'the body is unchanged').to.equal(true);
        expect(bytes!.headers).to.include({ 'x-conformance': 'yes', 'content-type': 'application/octet-stream' });
        expect(bytes!.destination).to.equal(destination);
        expect(bytes!.redelivered).to.equal(false);
        expect(bytes!.messageId).to.be.a('string').that.is.not.empty;
        expect(empty!.body.length).to.equal(0);
        expect(empty!.messageId).to.not.equal(bytes!.messageId);
      });

      it('topic: fans every message out to each current subscriber', async () => {
        const destination = fresh('/topic/');
        const a = await connect();
        const b = await connect();
        await a.subscribe(destination, { id: 'a' });
        await b.subscribe(destination, { id: 'b' });
        const sender = await connect();
        await sendAll(sender, destination, ['t1', 't2', 't3']);
        expect((await receiveAll(a, 3)).map(text)).to.deep.equal(['t1', 't2', 't3']);
        expect((await receiveAll(b, 3)).map(text)).to.deep.equal(['t1', 't2', 't3']);
      });

      it('pubsub: each child gets a copy of every message sent to the pubsub', async () => {
        const queueReader = await connect();
        const topicReader = await connect();
        await queueReader.subscribe(PUBSUB_QUEUE, { id: 'copies' });
        await topicReader.subscribe(PUBSUB_TOPIC, { id: 'copies' });
        const sender = await connect();
        await sendAll(sender, PUBSUB, ['p1', 'p2']);
        expect((await receiveAll(queueReader, 2)).map(text)).to.deep.equal(['p1', 'p2']);
        expect((await receiveAll(topicReader, 2)).map(text)).to.deep.equal(['p1', 'p2']);
      });

      it('refuses a subscription to a pubsub with an error and a close; other clients carry on', async () => {
        const destination = fresh('/queue/');
        const bystander = await connect();
        await bystander.subscribe(destination, { id: 'bystander' });
        const client = await connect();
        await client.subscribe(PUBSUB, { id: 'refused' }).catch(() => undefined);
        expect(await client.expectError(timeout)).to.match(/subscri/i);
        await sendAll(bystander, destination, ['still-here']);
        expect(text(await receive(bystander))).to.equal('still-here');
      });

      it('refuses a send the security plugins forbid, with an error and a close', async () => {
        const destination = fresh('/queue/');
        const guest = await connect(GUEST);
        await guest.send(destination, Buffer.from('forbidden'), {}, { receipt: true }).catch(() => undefined);
        expect(await guest.expectError(timeout)).to.include(`write access to ${destination} refused for user guest`);
        expect(broker.mqm.lookup(destination), 'nothing was created').to.equal(undefined);
      });

      it('unsubscribe stops deliveries; the queue keeps later messages for others', async () => {
        const destination = fresh('/queue/');
        const client = await connect();
        await client.subscribe(destination, { id: 'leaving' });
        await client.unsubscribe('leaving');
        await sendAll(client, destination, ['after']);
        await expectNothing(client, 'no delivery after unsubscribe');
        const other = await connect();
        await other.subscribe(destination, { id: 'staying' });
        expect(text(await receive(other))).to.equal('after');
      });
    });

    describe('acknowledgement', () => {
      it('client-individual: a nacked message comes back, marked redelivered', async () => {
        const destination = fresh('/queue/');
        const client = await connect();
        await client.subscribe(destination, { id: 'nacking', ack: 'client-individual' });
        await sendAll(client, destination, ['m1', 'm2']);
        const [m1, m2] = await receiveAll(client, 2);
        expect([m1!.redelivered, m2!.redelivered]).to.deep.equal([false, false]);
        await m2!.ack();
        await m1!.nack();
        const again = await receive(client);
        expect(text(again)).to.equal('m1');
        expect(again.redelivered).to.equal(true);
        expect(again.messageId).to.equal(m1!.messageId);
        await again.ack();
        await expectNothing(client, 'acknowledged messages are not redelivered');
        expect(broker.mqm.destinationStats(destination)).to.include({ depth: 0, unacked: 0 });
      });

      it('client: an ack covers every earlier message', async () => {
        const destination = fresh('/queue/');
        const client = await connect();
        await client.subscribe(destination, { id: 'cumulative', ack: 'client' });
        await sendAll(client, destination, ['c1', 'c2', 'c3']);
        const received = await receiveAll(client, 3);
        expect(broker.mqm.destinationStats(destination).unacked).to.equal(3);
        await received[2]!.ack();
        expect(broker.mqm.destinationStats(destination)).to.include({ depth: 0, unacked: 0 });
      });

      it('prefetch bounds the unacknowledged messages in flight', async () => {
        const destination = fresh('/queue/');
        const client = await connect();
        await client.subscribe(destination, { id: 'window', ack: 'client-individual', prefetch: 2 });
        await sendAll(client, destination, ['w1', 'w2', 'w3', 'w4']);
        const [w1, w2] = await receiveAll(client, 2);
        expect([text(w1!), text(w2!)]).to.deep.equal(['w1', 'w2']);
        await expectNothing(client, 'a third message waits for an ack');
        await w1!.ack();
        expect(text(await receive(client))).to.equal('w3');
        await expectNothing(client, 'the window is full again');
      });

      it('gives the unacknowledged messages of a client that closed to another client, marked redelivered', async () => {
        const destination = fresh('/queue/');
        const leaving = await connect();
        await leaving.subscribe(destination, { id: 'leaving', ack: 'client-individual' });
        await sendAll(leaving, destination, ['r1', 'r2']);
        const [r1] = await receiveAll(leaving, 2);
        await r1!.ack();
        await leaving.close();
        const other = await connect();
        await other.subscribe(destination, { id: 'other', ack: 'client-individual' });
        const again = await receive(other);
        expect(text(again)).to.equal('r2');
        expect(again.redelivered).to.equal(true);
        await expectNothing(other, 'the acknowledged message stays gone');
      });
    });

    describe('backpressure', () => {
      it('stops delivering to a client that stops reading; after it reads again nothing is lost', async () => {
        const destination = fresh('/queue/');
        const reader = await connect();
        await reader.subscribe(destination, { id: 'slow' });
        reader.pause();
        const sender = await connect();
        const body = (i: number): Buffer => {
          const b = Buffer.alloc(bpBodyBytes, i % 251);
          b.writeUInt32BE(i, 0);
          return b;
        };
        for (let i = 0; i < bpMessages; i++) await sender.send(destination, body(i), {}, { receipt: i === bpMessages - 1 });
        // Wait until the broker has stopped handing messages to the adapter.
        let delivered = -1;
        for (let deadline = Date.now() + timeout; ;) {
          const now = broker.mqm.destinationStats(destination).delivered;
          if (now === delivered) break;
          if (Date.now() > deadline) throw new Error('the broker kept delivering to a client that reads nothing');
          delivered = now;
          await sleep(200);
        }
        const stats = broker.mqm.destinationStats(destination);
        expect(stats.depth, 'messages wait in the queue, not in the adapter, while the client is behind').to.be.greaterThan(0);
        expect(stats.delivered + stats.depth).to.equal(bpMessages);
        reader.resume();
        for (let i = 0; i < bpMessages; i++) {
          const message = await receive(reader);
          expect(message.body.length).to.equal(bpBodyBytes);
          expect(message.body.readUInt32BE(0), 'every message, once, in order').to.equal(i);
        }
        await expectNothing(reader, 'no duplicates');
      });
    });

    describe('close', () => {
      it('a closed client\'s session leaves the broker, which keeps serving', async () => {
        const destination = fresh('/queue/');
        const client = await connect();
        await client.subscribe(destination, { id: 'closing' });
        expect(broker.mqm.sessionCount).to.equal(1);
        if (client.sessionId !== undefined) expect(sessionIds()).to.include(client.sessionId);
        await client.close();
        await until(() => broker.mqm.sessionCount === 0, 'the session ends');
        expect(broker.mqm.destinationStats(destination).subscribers).to.equal(0);
        const next = await connect();
        await next.subscribe(destination, { id: 'next' });
        await sendAll(next, destination, ['served']);
        expect(text(await receive(next))).to.equal('served');
      });

      it('closes every client when the broker stops', async () => {
        const client = await connect();
        await client.subscribe(fresh('/queue/'), { id: 'stopping' });
        await broker.stop();
        await within(client.closed, timeout, 'the client is closed');
        expect(broker.mqm.sessionCount).to.equal(0);
      });
    });
  });
}
