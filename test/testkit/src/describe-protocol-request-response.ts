/**
 * The request/response profile of describeProtocolAdapter(): every request carries its own
 * credentials and is its own broker session, opened for the request and closed once it is
 * answered (HTTP publish/poll). A poll takes up to `max` messages, waits up to `waitMs` for the
 * first, and acknowledges what its answer carries. Checked here: sessions per request, refusals
 * with the broker's words, delivery and order on each queue type, long polls, bad input, a client
 * that leaves in the middle, shutdown — through the author's driver (protocol-request-driver.ts).
 */
import { afterEach, beforeEach, describe, it } from 'mocha';
import { expect } from 'chai';
import type { Broker } from '@wharf/core';
import type { ProtocolTestCredentials } from './protocol-driver.js';
import type { PolledMessage, ProtocolTestRefusal } from './protocol-request-driver.js';
import {
  ALICE, GUEST, PUBSUB, PUBSUB_QUEUE, PUBSUB_TOPIC, UNKNOWN_USER, WRONG_PASSCODE,
  garbageIsClosed, startSuiteBroker, type RequestResponseSuiteOptions,
} from './protocol-suite.js';
import { rejection, until as untilWithin, within } from './protocol-waits.js';

const body = (m: PolledMessage): string => m.body.toString('utf8');

/** The request/response profile: one session per request, messages fetched by polls. */
export function describeRequestResponseProtocol(name: string, options: RequestResponseSuiteOptions): void {
  const timeout = options.timeoutMs ?? 5000;
  const driver = options.driver;

  describe(`protocol adapter conformance (request-response): ${name}`, function () {
    this.timeout(Math.max(20_000, timeout * 4));
    let broker: Broker;
    let port: number;
    let counter = 0;
    /** Aborted after each test: a poll a failed test left waiting must not outlive it. */
    let leftovers: AbortController;
    const fresh = (prefix: '/queue/' | '/topic/'): string => `${prefix}conformance-${++counter}`;
    const until = (condition: () => boolean, what: string) => untilWithin(condition, timeout, what);

    const publish = (destination: string, text: string | Buffer, credentials: ProtocolTestCredentials = ALICE, headers?: Record<string, string>) =>
      within(driver.publish(port, credentials, destination, typeof text === 'string' ? Buffer.from(text) : text, headers), timeout, `publish to ${destination}`);
    const publishAll = async (destination: string, texts: readonly string[]): Promise<void> => {
      for (const text of texts) await publish(destination, text);
    };
    /** A poll that answers at once with what is there. */
    const take = (destination: string, max: number, credentials: ProtocolTestCredentials = ALICE) =>
      within(driver.poll(port, credentials, destination, { max, waitMs: 0 }), timeout, `poll ${destination}`);
    /** A poll that waits (up to the suite's timeout) for its first message. */
    const longPoll = (destination: string, max = 1, credentials: ProtocolTestCredentials = ALICE, signal = leftovers.signal) =>
      within(driver.poll(port, credentials, destination, { max, waitMs: timeout, signal }), timeout * 2, `long poll ${destination}`);
    const subscribers = (destination: string): number => broker.mqm.lookup(destination) === undefined ? 0 : broker.mqm.destinationStats(destination).subscribers;
    const waiting = (destination: string, count: number) => until(() => subscribers(destination) === count, `${count} poll(s) waiting on ${destination}`);
    const expectRefusal = (refusal: ProtocolTestRefusal, code: string, text: string | RegExp): void => {
      if (typeof text === 'string') expect(refusal.message).to.include(text);
      else expect(refusal.message).to.match(text);
      if (refusal.code !== undefined) expect(refusal.code, 'the broker\'s error code').to.equal(code);
    };

    beforeEach(async () => {
      broker = await startSuiteBroker(options);
      port = broker.listeners[0]!.port;
      leftovers = new AbortController();
    });

    afterEach(async () => {
      leftovers.abort();
      await broker.stop();
    });

    describe('sessions and credentials', () => {
      it('runs a request in a session of the user it names, and closes it once answered', async () => {
        const destination = fresh('/queue/');
        const poll = longPoll(destination);
        await waiting(destination, 1);
        const sessions = broker.mqm.listSessions();
        expect(sessions, 'a waiting poll holds one session').to.have.length(1);
        expect(sessions[0]).to.include({ user: 'alice', protocol: options.protocol });
        await publish(destination, 'wakes the poll');
        expect((await poll).map(body)).to.deep.equal(['wakes the poll']);
        await until(() => broker.mqm.sessionCount === 0, 'every request\'s session ends with its answer');
      });

      it('refuses bad credentials, an unknown user and none with the very same text, and opens nothing', async () => {
        const destination = fresh('/queue/');
        const refusals = await Promise.all([WRONG_PASSCODE, UNKNOWN_USER, {}].map((c) => rejection(publish(destination, 'x', c))));
        expectRefusal(refusals[0]!, 'WHARF_ERR_BAD_CREDENTIALS', 'bad credentials');
        expect(refusals.map((r) => r.message), 'guessers learn nothing').to.deep.equal(refusals.map(() => refusals[0]!.message));
        expectRefusal(await rejection(take(destination, 1, WRONG_PASSCODE)), 'WHARF_ERR_BAD_CREDENTIALS', 'bad credentials');
        expect(broker.mqm.lookup(destination), 'nothing was created').to.equal(undefined);
        expect(broker.mqm.sessionCount).to.equal(0);
      });

      it('asks the security plugins on every request, whoever came before', async () => {
        const destination = fresh('/queue/');
        await publish(destination, 'as alice');
        expectRefusal(await rejection(publish(destination, 'as nobody', WRONG_PASSCODE)), 'WHARF_ERR_BAD_CREDENTIALS', 'bad credentials');
        expect((await take(destination, 10)).map(body)).to.deep.equal(['as alice']);
      });

      it('refuses a publish the security plugins forbid, and lets the same user poll', async () => {
        const destination = fresh('/queue/');
        const refused = await rejection(publish(destination, 'forbidden', GUEST));
        expectRefusal(refused, 'WHARF_ERR_ACCESS_DENIED', `write access to ${destination} refused for user guest`);
        expect(broker.mqm.lookup(destination), 'nothing was created').to.equal(undefined);
        await publish(destination, 'for the guest');
        expect((await take(destination, 1, GUEST)).map(body), 'guest may read').to.deep.equal(['for the guest']);
      });
    });

    describe('delivery', () => {
      it('queue: a poll takes the held messages in order, at most max; the rest wait for the next poll', async () => {
        const destination = fresh('/queue/');
        await publishAll(destination, ['q1', 'q2', 'q3', 'q4', 'q5']);
        expect((await take(destination, 3)).map(body)).to.deep.equal(['q1', 'q2', 'q3']);
        expect(broker.mqm.destinationStats(destination), 'the poll took no more than max').to.include({ depth: 2, unacked: 0 });
        expect((await take(destination, 10)).map(body)).to.deep.equal(['q4', 'q5']);
        expect(broker.mqm.destinationStats(destination), 'what the answers carried is acknowledged').to.include({ depth: 0, unacked: 0 });
      });

      it('keeps the order of many messages across many polls, each message once', async () => {
        const destination = fresh('/queue/');
        const sent = Array.from({ length: 40 }, (_, i) => `m${i}`);
        await publishAll(destination, sent);
        const got: string[] = [];
        while (got.length < sent.length) {
          const batch = await take(destination, 7);
          expect(batch.length, 'a poll of a queue that holds messages answers with some').to.be.greaterThan(0);
          got.push(...batch.map(body));
        }
        expect(got).to.deep.equal(sent);
        expect(await take(destination, 7), 'no duplicates').to.deep.equal([]);
      });

      it('carries bodies byte for byte, the sender\'s headers, a message id and the destination', async () => {
        const destination = fresh('/queue/');
        const bytes = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256)); // NUL, LF, CR, 0xff...
        await publish(destination, bytes, ALICE, { 'x-conformance': 'yes', 'content-type': 'application/octet-stream' });
        await publish(destination, Buffer.alloc(0));
        const [first, empty] = await take(destination, 2);
        expect(first!.body.equals(bytes), 'the body is unchanged').to.equal(true);
        expect(first!.headers).to.include({ 'x-conformance': 'yes', 'content-type': 'application/octet-stream' });
        expect(first!.destination).to.equal(destination);
        expect(first!.redelivered).to.equal(false);
        expect(first!.messageId).to.be.a('string').that.is.not.empty;
        expect(empty!.body.length).to.equal(0);
        expect(empty!.messageId).to.not.equal(first!.messageId);
      });

      it('a long poll answers with the first message that arrives; an empty one answers when its wait is over', async () => {
        const destination = fresh('/queue/');
        const poll = longPoll(destination, 5);
        await waiting(destination, 1);
        await publish(destination, 'arrived');
        expect((await poll).map(body)).to.deep.equal(['arrived']);
        const empty = await within(driver.poll(port, ALICE, destination, { max: 5, waitMs: 200 }), timeout, 'a short poll');
        expect(empty, 'nothing arrived').to.deep.equal([]);
        await until(() => broker.mqm.sessionCount === 0 && subscribers(destination) === 0, 'the empty poll left nothing behind');
      });

      it('queue: two waiting polls each get one message, never the same one', async () => {
        const destination = fresh('/queue/');
        const polls = [longPoll(destination), longPoll(destination)];
        await waiting(destination, 2);
        await publishAll(destination, ['one', 'two']);
        const got = (await Promise.all(polls)).map((batch) => batch.map(body));
        expect(got.flat().sort()).to.deep.equal(['one', 'two']);
      });

      it('topic: every poll waiting on it gets a copy', async () => {
        const destination = fresh('/topic/');
        const polls = [longPoll(destination), longPoll(destination)];
        await waiting(destination, 2);
        await publish(destination, 'to all');
        expect((await Promise.all(polls)).map((batch) => batch.map(body))).to.deep.equal([['to all'], ['to all']]);
      });

      it('pubsub: each child gets a copy of every message published to it', async () => {
        const topicPoll = longPoll(PUBSUB_TOPIC, 2);
        await waiting(PUBSUB_TOPIC, 1);
        await publishAll(PUBSUB, ['p1', 'p2']);
        expect((await take(PUBSUB_QUEUE, 10)).map(body)).to.deep.equal(['p1', 'p2']);
        const copies = (await topicPoll).map(body);
        expect(copies.length, 'the topic child\'s waiting poll got a copy').to.be.greaterThan(0);
        expect(['p1', 'p2'].slice(0, copies.length)).to.deep.equal(copies);
      });

      it('refuses a poll of a pubsub with an error; other requests carry on', async () => {
        const refused = await rejection(take(PUBSUB, 1));
        expectRefusal(refused, 'WHARF_ERR_NOT_SUBSCRIBABLE', /subscri/i);
        const destination = fresh('/queue/');
        await publish(destination, 'still-served');
        expect((await take(destination, 1)).map(body)).to.deep.equal(['still-served']);
        expect(broker.mqm.sessionCount).to.equal(0);
      });
    });

    describe('bad input', () => {
      it('answers a malformed request with an error and keeps serving', async () => {
        const refusal = await within(driver.malformed(port, ALICE), timeout, 'a malformed request');
        expect(refusal.message, 'the error names the problem').to.be.a('string').that.is.not.empty;
        const destination = fresh('/queue/');
        await publish(destination, 'after the bad request');
        expect((await take(destination, 1)).map(body)).to.deep.equal(['after the bad request']);
        await until(() => broker.mqm.sessionCount === 0, 'no session outlives its request');
      });

      it('closes a connection that sends bytes of no protocol at all, and leaves no session', async () => {
        await garbageIsClosed(port, timeout);
        expect(broker.mqm.sessionCount).to.equal(0);
        const destination = fresh('/queue/');
        await publish(destination, 'served');
        expect((await take(destination, 1)).map(body)).to.deep.equal(['served']);
      });
    });

    describe('leaving and stopping', () => {
      it('a long poll whose client goes away closes its session and takes no message', async () => {
        const destination = fresh('/queue/');
        const leaving = new AbortController();
        const poll = longPoll(destination, 1, ALICE, leaving.signal).catch(() => undefined);
        await waiting(destination, 1);
        leaving.abort();
        await poll;
        await until(() => broker.mqm.sessionCount === 0 && subscribers(destination) === 0, 'the poll\'s session ends with its client');
        await publish(destination, 'kept');
        expect((await take(destination, 1)).map(body), 'the message waited for a live poll').to.deep.equal(['kept']);
      });

      it('answers the waiting polls when the broker stops', async () => {
        const destination = fresh('/queue/');
        const poll = longPoll(destination).then(() => 'answered', () => 'refused');
        await waiting(destination, 1);
        await broker.stop();
        expect(await within(poll, timeout, 'the poll ends with the broker')).to.be.oneOf(['answered', 'refused']);
        expect(broker.mqm.sessionCount).to.equal(0);
      });
    });
  });
}
