/**
 * @stomp/stompjs over TCP (@stomp/tcp-wrapper) against a real broker: negotiation and heart-beats,
 * every queue type, ack modes and NACK redelivery, transactions, receipts, header escaping, binary
 * bodies, the 4 MiB body limit, and the command destinations.
 */
import { expect } from 'chai';
import { Versions } from '@stomp/stompjs';
import { startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame, json, stompOverTcp, unique, waitFor, type StompClient, type StompOptions } from './helpers.js';

describe('e2e: @stomp/stompjs over TCP', function () {
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => {
    e2e = await startE2eBroker({ pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/shipping'] } } });
  });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  const connect = (options: StompOptions = {}): Promise<StompClient> => stompOverTcp(e2e.tcpPort, options, clients);
  const stats = (name: string) => e2e.broker.mqm.destinationStats(name);

  describe('connect', () => {
    it('negotiates STOMP 1.2 and names the server, session and heart-beat in CONNECTED', async () => {
      const c = await connect();
      const headers = c.connectedFrame.headers;
      expect(headers['version']).to.equal('1.2');
      expect(headers['server']).to.match(/^wharf\/\d+\.\d+\.\d+/);
      expect(headers['session']).to.be.a('string').and.not.equal('');
      expect(headers['heart-beat']).to.match(/^\d+,\d+$/);
      expect(e2e.broker.mqm.listSessions().map((s) => s.id)).to.include(headers['session']);
    });

    it('negotiates 1.1 when the client offers only 1.0 and 1.1', async () => {
      const c = await connect({ stompVersions: new Versions(['1.0', '1.1']) });
      expect(c.version).to.equal('1.1');
    });

    it('accepts a client that asks for heart-beats in both directions', async () => {
      const c = await connect({ heartbeatIncoming: 100, heartbeatOutgoing: 100 });
      // The broker offers beats as often as every 100 ms by default (heartBeat.minSendMs /
      // minReceiveMs), so both sides beat every 100 ms: the connection must stay up and working.
      const sub = await c.subscribe(unique('/queue/hb'));
      expect(sub.messages).to.have.length(0);
      expect(c.closed).to.equal(false);
    });
  });

  describe('heart-beats (a broker that sends every 50 ms and wants a beat every 300 ms)', () => {
    let fast: E2eBroker;
    // Grace 3: a client may be up to 900 ms late before it is cut, so a busy test machine is no failure.
    before(async () => { fast = await startE2eBroker({}, { heartBeat: [50, 300], heartBeatGrace: 3 }); });
    after(() => fast.stop());

    it('sends heart-beats when both sides agree to, and keeps a beating client connected', async () => {
      let beats = 0;
      const c = await stompOverTcp(fast.tcpPort, {
        heartbeatIncoming: 50, heartbeatOutgoing: 100, heartbeatToleranceMultiplier: 20,
        onHeartbeatReceived: () => { beats++; },
      }, clients);
      expect(c.connectedFrame.headers['heart-beat']).to.equal('50,300');
      await waitFor(() => beats >= 5, 5000, '5 heart-beats from the broker');
      const q = unique('/queue/beating');
      const sub = await c.subscribe(q);
      await c.publishConfirmed(q, 'alive');
      await sub.waitCount(1);
      expect(c.closed).to.equal(false);
      expect(c.errors).to.have.length(0);
    });

    it('closes a client that promised heart-beats and went silent, with an ERROR naming the limit', async () => {
      const raw = await RawConnection.open(fast.tcpPort, clients);
      raw.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost', 'heart-beat': '50,0' }));
      await raw.waitFrame('CONNECTED');
      const error = await raw.waitFrame('ERROR', 5000);
      expect(error.headers['message']).to.contain('heartBeatGrace');
      await raw.waitClosed();
    });
  });

  describe('queue', () => {
    it('delivers held messages to the first subscriber, oldest first', async () => {
      const q = unique('/queue/held');
      const producer = await connect();
      for (let i = 0; i < 5; i++) producer.client.publish({ destination: q, body: `m${i}` });
      await producer.publishConfirmed(q, 'm5');
      expect(stats(q).depth).to.equal(6);
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      await sub.waitCount(6);
      expect(sub.bodies).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
      expect(sub.messages.every((m) => m.headers['destination'] === q && m.headers['subscription'] === sub.id)).to.equal(true);
    });

    it('shares a queue between two subscribers round-robin, each message exactly once', async () => {
      const q = unique('/queue/rr');
      const a = await (await connect()).subscribe(q);
      const b = await (await connect()).subscribe(q);
      const producer = await connect();
      for (let i = 0; i < 20; i++) producer.client.publish({ destination: q, body: String(i) });
      await waitFor(() => a.messages.length + b.messages.length >= 20, 5000, '20 messages in all');
      const all = [...a.bodies, ...b.bodies].map(Number).sort((x, y) => x - y);
      expect(all).to.deep.equal([...Array(20).keys()]);
      expect(a.messages).to.have.length(10);
      expect(b.messages).to.have.length(10);
    });
  });

  describe('topic', () => {
    it('fans every message out to every subscriber, with the same message-id', async () => {
      const t = unique('/topic/news');
      const a = await (await connect()).subscribe(t);
      const b = await (await connect()).subscribe(t);
      const producer = await connect();
      for (let i = 0; i < 10; i++) producer.client.publish({ destination: t, body: `n${i}` });
      await a.waitCount(10);
      await b.waitCount(10);
      const expected = [...Array(10).keys()].map((i) => `n${i}`);
      expect(a.bodies).to.deep.equal(expected);
      expect(b.bodies).to.deep.equal(expected);
      expect(a.messages.map((m) => m.headers['message-id'])).to.deep.equal(b.messages.map((m) => m.headers['message-id']));
    });
  });

  describe('pubsub', () => {
    it('copies a message into each child queue', async () => {
      const consumer = await connect();
      const billing = await consumer.subscribe('/queue/billing');
      const shipping = await consumer.subscribe('/queue/shipping');
      const producer = await connect();
      await producer.publishConfirmed('/pubsub/orders', 'order-1', { 'content-type': 'text/plain' });
      await billing.waitCount(1);
      await shipping.waitCount(1);
      expect(billing.bodies).to.deep.equal(['order-1']);
      expect(shipping.bodies).to.deep.equal(['order-1']);
      expect(billing.messages[0]!.headers['content-type']).to.equal('text/plain');
    });

    it('refuses a subscription to a pubsub with an ERROR naming its children, then closes', async () => {
      const c = await connect();
      c.client.subscribe('/pubsub/orders', () => undefined);
      const error = await c.nextError();
      expect(error.headers['message']).to.contain('/queue/billing').and.contain('/queue/shipping');
      await c.waitClosed();
    });
  });

  describe('acknowledgement', () => {
    it('client mode: one ACK settles every earlier message (cumulative)', async () => {
      const q = unique('/queue/ack-client');
      const producer = await connect();
      for (let i = 0; i < 3; i++) producer.client.publish({ destination: q, body: `c${i}` });
      await producer.publishConfirmed(q, 'c3');
      const consumer = await connect();
      const sub = await consumer.subscribe(q, { ack: 'client' });
      await sub.waitCount(4);
      expect(stats(q).unacked).to.equal(4);
      expect(sub.messages.every((m) => m.headers['ack'] !== undefined)).to.equal(true);
      await consumer.withReceipt((receipt) => sub.messages[2]!.ack({ receipt }));
      expect(stats(q).unacked).to.equal(1);
      await consumer.withReceipt((receipt) => sub.messages[3]!.ack({ receipt }));
      expect(stats(q)).to.include({ unacked: 0, depth: 0 });
    });

    it('client-individual mode: an ACK settles only its message; the rest return on disconnect', async () => {
      const q = unique('/queue/ack-individual');
      const producer = await connect();
      for (let i = 0; i < 2; i++) producer.client.publish({ destination: q, body: `i${i}` });
      await producer.publishConfirmed(q, 'i2');
      const first = await connect();
      const sub = await first.subscribe(q, { ack: 'client-individual' });
      await sub.waitCount(3);
      sub.messages[0]!.ack();
      await first.withReceipt((receipt) => sub.messages[2]!.ack({ receipt }));
      expect(stats(q).unacked).to.equal(1);
      await first.close();
      const second = await connect();
      const again = await second.subscribe(q, { ack: 'client-individual' });
      await again.waitCount(1);
      expect(again.bodies).to.deep.equal(['i1']);
      expect(again.messages[0]!.headers['redelivered']).to.equal('true');
    });

    it('redelivers a NACKed message marked redelivered:true', async () => {
      const q = unique('/queue/nack');
      const consumer = await connect();
      const sub = await consumer.subscribe(q, { ack: 'client-individual' });
      const producer = await connect();
      await producer.publishConfirmed(q, 'retry-me');
      await sub.waitCount(1);
      expect(sub.messages[0]!.headers['redelivered']).to.equal(undefined);
      sub.messages[0]!.nack();
      await sub.waitCount(2);
      expect(sub.messages[1]!.body).to.equal('retry-me');
      expect(sub.messages[1]!.headers['redelivered']).to.equal('true');
      expect(sub.messages[1]!.headers['message-id']).to.equal(sub.messages[0]!.headers['message-id']);
      await consumer.withReceipt((receipt) => sub.messages[1]!.ack({ receipt }));
      expect(stats(q)).to.include({ unacked: 0, depth: 0 });
    });
  });

  describe('transactions', () => {
    it('applies the SENDs of a transaction at COMMIT, not before', async () => {
      const q = unique('/queue/tx-commit');
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      const producer = await connect();
      const tx = producer.client.begin();
      producer.client.publish({ destination: q, body: 't1', headers: { transaction: tx.id } });
      await producer.publishConfirmed(q, 't2', { transaction: tx.id });
      expect(stats(q).enqueued).to.equal(0);
      expect(sub.messages).to.have.length(0);
      tx.commit();
      await sub.waitCount(2);
      expect(sub.bodies).to.deep.equal(['t1', 't2']);
      // Broker control headers never reach consumers.
      expect(sub.messages[0]!.headers['transaction']).to.equal(undefined);
      expect(sub.messages[1]!.headers['receipt']).to.equal(undefined);
    });

    it('discards the SENDs of an aborted transaction', async () => {
      const q = unique('/queue/tx-abort');
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      const producer = await connect();
      const tx = producer.client.begin();
      producer.client.publish({ destination: q, body: 'never', headers: { transaction: tx.id } });
      tx.abort();
      await producer.publishConfirmed(q, 'after-abort');
      await sub.waitCount(1);
      expect(sub.bodies).to.deep.equal(['after-abort']);
      expect(stats(q).enqueued).to.equal(1);
    });

    it('aborts the open transactions of a client that disconnects', async () => {
      const q = unique('/queue/tx-disconnect');
      const producer = await connect();
      const tx = producer.client.begin();
      await producer.publishConfirmed(q, 'uncommitted', { transaction: tx.id });
      await producer.close();
      await waitFor(() => !e2e.broker.mqm.listSessions().some((s) => s.id === producer.connectedFrame.headers['session']), 5000, 'the session to end');
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      await consumer.publishConfirmed(q, 'marker');
      await sub.waitCount(1);
      expect(sub.bodies).to.deep.equal(['marker']);
    });

    it('applies an ACK inside a transaction only at COMMIT', async () => {
      const q = unique('/queue/tx-ack');
      const consumer = await connect();
      const sub = await consumer.subscribe(q, { ack: 'client-individual' });
      const producer = await connect();
      await producer.publishConfirmed(q, 'x');
      await sub.waitCount(1);
      const aborted = consumer.client.begin();
      sub.messages[0]!.ack({ transaction: aborted.id });
      await consumer.withReceipt((receipt) => consumer.client.publish({ destination: unique('/topic/nobody'), headers: { receipt } }));
      expect(stats(q).unacked).to.equal(1);
      aborted.abort();
      const tx = consumer.client.begin();
      sub.messages[0]!.ack({ transaction: tx.id });
      await consumer.withReceipt((receipt) => consumer.client.publish({ destination: unique('/topic/nobody'), headers: { receipt } }));
      expect(stats(q).unacked).to.equal(1);
      tx.commit();
      await waitFor(() => stats(q).unacked === 0, 5000, 'the committed ACK');
      expect(sub.messages).to.have.length(1);
    });
  });

  describe('receipts', () => {
    it('answers a receipt for SEND, SUBSCRIBE, ACK, NACK and UNSUBSCRIBE with the same id', async () => {
      const c = await connect();
      const q = unique('/queue/receipts');
      const onSend = await c.withReceipt((receipt) => c.client.publish({ destination: q, body: 'r', headers: { receipt } }));
      expect(onSend.command).to.equal('RECEIPT');
      expect(onSend.headers['receipt-id']).to.match(/^r-/);
      await c.publishConfirmed(q, 's');
      const sub = await c.subscribe(q, { ack: 'client-individual' });
      await sub.waitCount(2);
      await c.withReceipt((receipt) => sub.messages[0]!.ack({ receipt }));
      await c.withReceipt((receipt) => sub.messages[1]!.nack({ receipt }));
      await sub.waitCount(3);
      await c.withReceipt((receipt) => c.client.unsubscribe(sub.id, { receipt }));
      expect(stats(q).subscribers).to.equal(0);
    });

    it('answers a receipt for BEGIN, COMMIT and ABORT (raw frames: stompjs sends these without headers)', async () => {
      const raw = await RawConnection.open(e2e.tcpPort, clients);
      raw.write(frame('CONNECT', { 'accept-version': '1.2', host: 'localhost' }));
      await raw.waitFrame('CONNECTED');
      raw.write(frame('BEGIN', { transaction: 't1', receipt: 'b' }));
      raw.write(frame('COMMIT', { transaction: 't1', receipt: 'c' }));
      raw.write(frame('BEGIN', { transaction: 't2', receipt: 'b2' }));
      raw.write(frame('ABORT', { transaction: 't2', receipt: 'a' }));
      await raw.waitFrame('RECEIPT', 5000, 4);
      expect(raw.reader.byCommand('RECEIPT').map((f) => f.headers['receipt-id'])).to.deep.equal(['b', 'c', 'b2', 'a']);
    });

    it('sends the DISCONNECT receipt before it closes', async () => {
      let disconnected: string | undefined;
      const c = await connect({ onDisconnect: (frame) => { disconnected = frame.headers['receipt-id']; } });
      await c.client.deactivate();
      await c.waitClosed();
      expect(disconnected).to.be.a('string').and.match(/^close-/);
      expect(c.errors).to.have.length(0);
    });
  });

  describe('bodies', () => {
    it('carries a binary body with NUL bytes intact, with content-length', async () => {
      const q = unique('/queue/binary');
      const body = new Uint8Array(1024);
      for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
      body[0] = 0;
      body[body.length - 1] = 0;
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      const producer = await connect();
      await producer.publishConfirmed(q, body, { 'content-type': 'application/octet-stream' });
      await sub.waitCount(1);
      const m = sub.messages[0]!;
      expect(m.headers['content-length']).to.equal(String(body.length));
      expect(m.headers['content-type']).to.equal('application/octet-stream');
      expect(Buffer.from(m.binaryBody).equals(Buffer.from(body))).to.equal(true);
    });

    it('round-trips header values with colons, line breaks, backslashes and non-ASCII text (1.2 escaping)', async () => {
      const q = unique('/queue/escapes');
      const headers = { 'x-colon': 'a:b:c', 'x-lines': 'one\ntwo\r\nthree', 'x-backslash': 'C:\\dir\\file', 'x-unicode': 'grüße ✓ 日本' };
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      const producer = await connect();
      await producer.publishConfirmed(q, 'héllo wörld ✓', headers);
      await sub.waitCount(1);
      expect(sub.messages[0]!.headers).to.include(headers);
      expect(sub.messages[0]!.body).to.equal('héllo wörld ✓');
    });

    it('carries a body of exactly 4 MiB, the default limit', async function () {
      const q = unique('/queue/big');
      const body = new Uint8Array(4 * 1024 * 1024);
      for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) % 251;
      const consumer = await connect();
      const sub = await consumer.subscribe(q);
      const producer = await connect();
      await producer.publishConfirmed(q, body);
      await sub.waitCount(1, 15000);
      expect(sub.messages[0]!.headers['content-length']).to.equal(String(body.length));
      expect(Buffer.from(sub.messages[0]!.binaryBody).equals(Buffer.from(body))).to.equal(true);
    });

    it('refuses a body one byte over 4 MiB with an ERROR naming the limit, then closes', async () => {
      const q = unique('/queue/too-big');
      const producer = await connect();
      producer.client.publish({ destination: q, binaryBody: new Uint8Array(4 * 1024 * 1024 + 1) });
      const error = await producer.nextError();
      expect(error.headers['message']).to.contain('maxBodyBytes');
      await producer.waitClosed();
      expect(e2e.broker.mqm.lookup(q)).to.equal(undefined);
    });

    it('names the receipt of the oversized frame in its ERROR (receipt-id)', async () => {
      const producer = await connect();
      // stompjs writes the receipt header before content-length, so the broker has read it when it refuses.
      producer.client.publish({ destination: unique('/queue/too-big'), binaryBody: new Uint8Array(4 * 1024 * 1024 + 1), headers: { receipt: 'big' } });
      const error = await producer.nextError();
      expect(error.headers['message']).to.contain('maxBodyBytes');
      expect(error.headers['receipt-id']).to.equal('big');
    });
  });

  describe('command destinations', () => {
    it('answers /command/list on the reply-to queue with a JSON body', async () => {
      const replies = unique('/queue/replies');
      const c = await connect();
      const sub = await c.subscribe(replies);
      await c.publishConfirmed('/command/list', '', { 'reply-to': replies, 'correlation-id': 'c-1' });
      await sub.waitCount(1);
      const reply = json(sub.messages[0]!);
      expect(sub.messages[0]!.headers['content-type']).to.equal('application/json');
      expect(sub.messages[0]!.headers['correlation-id']).to.equal('c-1');
      expect(reply).to.include({ ok: true, command: 'list' });
      const names = (reply['destinations'] as Array<{ name: string }>).map((d) => d.name);
      expect(names).to.include.members(['/pubsub/orders', '/queue/billing', replies]);
    });

    it('streams broker events as JSON messages to a /command/events subscriber', async () => {
      const admin = await connect();
      const events = await admin.subscribe('/command/events');
      const q = unique('/queue/evented');
      const other = await connect();
      const sub = await other.subscribe(q);
      sub.unsubscribe();
      await other.close();
      const session = other.connectedFrame.headers['session'];
      await waitFor(() => events.messages.some((m) => json(m)['type'] === 'client.disconnected' && json(m)['session'] === session),
        5000, 'the disconnect event');
      const seen = events.messages.map((m) => json(m));
      const types = seen.filter((e) => e['session'] === session || e['destination'] === q).map((e) => e['type']);
      expect(types).to.include.members(['client.connected', 'destination.created', 'subscribed', 'unsubscribed', 'client.disconnected']);
      expect(events.messages[0]!.headers['event-type']).to.be.a('string');
    });
  });
});
