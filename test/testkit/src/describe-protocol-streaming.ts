/**
 * The streaming profile of describeProtocolAdapter(): a client connection stays open and the
 * broker pushes messages to it (STOMP, JSONL). Connect and refuse, send and receive on each queue
 * type, acknowledgement and redelivery, bad input, backpressure, clean close — through the
 * author's driver (protocol-driver.ts).
 */
import { afterEach, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import type { Broker } from '@wharf/core';
import type { ProtocolTestCredentials, TestProtocolClient } from './protocol-driver.js';
import {
  ALICE, GUEST, PUBSUB, PUBSUB_QUEUE, PUBSUB_TOPIC, QUIET_MS, UNKNOWN_USER, WRONG_PASSCODE,
  garbageIsClosed, startSuiteBroker, type StreamingSuiteOptions,
} from './protocol-suite.js';
import { expectNothing as quiet, receive as receiveOne, receiveAll as receiveMany, rejection, sleep, text, until as untilWithin, within } from './protocol-waits.js';

/** The streaming profile: one connection per client, messages pushed to it. */
export function describeStreamingProtocol(name: string, options: StreamingSuiteOptions): void {
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
      broker = await startSuiteBroker(options);
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
        const refused = await rejection(within(options.driver.connect(port, WRONG_PASSCODE), timeout, 'refusal'));
        expect(refused.message).to.include('bad credentials');
        expect(broker.mqm.sessionCount).to.equal(0);
      });

      it('refuses an unknown user with the very same text, so guessers learn nothing', async () => {
        const refusal = (credentials: ProtocolTestCredentials) => rejection(within(options.driver.connect(port, credentials), timeout, 'refusal'));
        const wrongPasscode = await refusal(WRONG_PASSCODE);
        const unknownUser = await refusal(UNKNOWN_USER);
        const noCredentials = await refusal({});
        expect(unknownUser.message).to.equal(wrongPasscode.message);
        expect(noCredentials.message).to.equal(wrongPasscode.message);
      });

      it('asks the security plugins on every connect, even while the same user is connected', async () => {
        await connect();
        const refused = await rejection(within(options.driver.connect(port, WRONG_PASSCODE), timeout, 'refusal'));
        expect(refused.message).to.include('bad credentials');
        expect(broker.mqm.listSessions().map((s) => s.user), 'only the first login has a session').to.deep.equal(['alice']);
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

    describe('bad input', () => {
      it('answers input that breaks the protocol with an error and a close; other clients carry on', async () => {
        const destination = fresh('/queue/');
        const bystander = await connect();
        await bystander.subscribe(destination, { id: 'bystander' });
        const client = await connect();
        if (client.sendMalformed !== undefined) {
          client.sendMalformed();
          expect(await client.expectError(timeout), 'the error names the problem').to.be.a('string').that.is.not.empty;
        } else {
          await garbageIsClosed(port, timeout);
          await client.close();
        }
        await until(() => broker.mqm.sessionCount === 1, 'the broken connection\'s session ends');
        await sendAll(bystander, destination, ['still-served']);
        expect(text(await receive(bystander))).to.equal('still-served');
      });

      it('closes a connection that sends bytes of no protocol at all, and leaves no session', async () => {
        await garbageIsClosed(port, timeout);
        expect(broker.mqm.sessionCount).to.equal(0);
        const client = await connect();
        expect(broker.mqm.listSessions().map((s) => s.id)).to.have.length(1);
        await client.close();
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
