/**
 * stompit, a STOMP 1.0/1.1/1.2 client, against a real broker: negotiation from the accept-version it
 * sends, send/subscribe, 1.1 ACK/NACK by message-id + subscription, and TLS with a client certificate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import stompit from 'stompit';
import type { Client, ConnectOptions, Message } from 'stompit';
import { definePlugin, type ConnectionInfo, type PluginEntry } from '@wharf/core';
import { FIXTURES, STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { Tracker, unique, waitFor } from './helpers.js';

interface Received {
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly message: Message;
}

function open(options: ConnectOptions, tracker: Tracker): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = stompit.connect({ host: '127.0.0.1', timeout: 5000, ...options }, (err, c) => (err ? reject(err) : resolve(c)));
    // A refused client emits 'error' after connecting too; the test reads it where it cares.
    client.on('error', () => undefined);
    tracker.track({ close: () => client.destroy() });
  });
}

/** Sends with a receipt and waits for it. */
function send(client: Client, headers: Record<string, string>, body: string): Promise<void> {
  return new Promise((resolve) => {
    const frame = client.send(headers, { onReceipt: () => resolve() });
    frame.end(body);
  });
}

/** A round trip on the connection: everything sent before it has been handled. */
function sync(client: Client): Promise<void> {
  return send(client, { destination: unique('/topic/sync') }, '');
}

function collect(client: Client, headers: Record<string, string>): Received[] {
  const received: Received[] = [];
  client.subscribe(headers, (err, message) => {
    if (err) return;
    message.readString('utf-8', (readErr, body) => {
      if (!readErr) received.push({ headers: message.headers, body: body ?? '', message });
    });
  });
  return received;
}

function tlsMaterial(withClientCert: boolean): Partial<ConnectOptions> {
  const file = (name: string) => readFileSync(join(FIXTURES, 'tls', name));
  return {
    ssl: true,
    servername: 'localhost',
    ca: file('ca.crt'),
    ...(withClientCert ? { cert: file('client.crt'), key: file('client.key') } : {}),
  };
}

describe('e2e: stompit', function () {
  const clients = new Tracker();
  afterEach(() => clients.closeAll());

  describe('over TCP', () => {
    let e2e: E2eBroker;
    before(async () => { e2e = await startE2eBroker(); });
    after(() => e2e.stop());

    const connect = (connectHeaders: Record<string, string> = {}) => open({ port: e2e.tcpPort, connectHeaders }, clients);
    const stats = (name: string) => e2e.broker.mqm.destinationStats(name);

    it('negotiates 1.2 from the accept-version stompit sends by default (1.0,1.1,1.2)', async () => {
      const client = await connect();
      expect(client.headers['version']).to.equal('1.2');
      expect(client.headers['server']).to.match(/^wharf\//);
    });

    it('negotiates 1.1 when accept-version offers 1.0 and 1.1', async () => {
      const client = await connect({ 'accept-version': '1.0,1.1' });
      expect(client.headers['version']).to.equal('1.1');
    });

    it('negotiates 1.0 when accept-version offers only 1.0', async () => {
      const client = await connect({ 'accept-version': '1.0' });
      expect(client.headers['version']).to.equal('1.0');
    });

    it('refuses a version the broker does not speak with an ERROR listing its versions', async () => {
      const error = await connect({ 'accept-version': '2.0' }).then(() => undefined, (err: Error) => err);
      expect(error).to.be.instanceOf(Error);
      expect(error!.message).to.contain('1.2');
    });

    for (const version of ['1.0,1.1', '1.0,1.1,1.2']) {
      it(`sends and receives on a queue (accept-version ${version})`, async () => {
        const q = unique('/queue/stompit');
        const consumer = await connect({ 'accept-version': version });
        const received = collect(consumer, { destination: q, ack: 'auto' });
        await sync(consumer);
        const producer = await connect({ 'accept-version': version });
        for (let i = 0; i < 5; i++) await send(producer, { destination: q, 'content-type': 'text/plain', 'x-i': String(i) }, `s${i}`);
        await waitFor(() => received.length === 5, 5000, '5 messages');
        expect(received.map((r) => r.body)).to.deep.equal(['s0', 's1', 's2', 's3', 's4']);
        expect(received.map((r) => r.headers['x-i'])).to.deep.equal(['0', '1', '2', '3', '4']);
        expect(received[0]!.headers['content-type']).to.equal('text/plain');
      });
    }

    for (const [version, expected] of [['1.1', 'a:b\nc'], ['1.0', 'a:b c']] as const) {
      it(`receives a 1.2 sender's header with a colon and a line break as STOMP ${version} can carry it`, async () => {
        const q = unique('/queue/stompit-escape');
        const consumer = await connect({ 'accept-version': version });
        const received = collect(consumer, { destination: q, ack: 'auto' });
        await sync(consumer);
        const sender = await connect({ 'accept-version': '1.2' });
        await send(sender, { destination: q, 'x-text': 'a:b\nc' }, 'body');
        await waitFor(() => received.length === 1, 5000, 'the message');
        expect(received[0]!.headers['x-text']).to.equal(expected);
      });
    }

    it('1.1 client mode: an ACK by message-id and subscription settles every earlier message', async () => {
      const q = unique('/queue/stompit-ack');
      const producer = await connect();
      for (let i = 0; i < 4; i++) await send(producer, { destination: q }, `a${i}`);
      const consumer = await connect({ 'accept-version': '1.1' });
      const received = collect(consumer, { destination: q, ack: 'client' });
      await waitFor(() => received.length === 4, 5000, '4 messages');
      expect(received[0]!.headers['ack']).to.equal(undefined); // 1.1 MESSAGEs have no ack header
      expect(stats(q).unacked).to.equal(4);
      await new Promise<void>((resolve) => consumer.ack(received[2]!.message, {}, { onReceipt: resolve }));
      expect(stats(q).unacked).to.equal(1);
      await new Promise<void>((resolve) => consumer.ack(received[3]!.message, {}, { onReceipt: resolve }));
      expect(stats(q)).to.include({ unacked: 0, depth: 0 });
    });

    it('1.1 NACK by message-id and subscription redelivers the message', async () => {
      const q = unique('/queue/stompit-nack');
      const consumer = await connect({ 'accept-version': '1.1' });
      const received = collect(consumer, { destination: q, ack: 'client-individual' });
      await sync(consumer);
      const producer = await connect();
      await send(producer, { destination: q }, 'again');
      await waitFor(() => received.length === 1, 5000, 'the first delivery');
      consumer.nack(received[0]!.message);
      await waitFor(() => received.length === 2, 5000, 'the redelivery');
      expect(received[1]!.body).to.equal('again');
      expect(received[1]!.headers['redelivered']).to.equal('true');
      expect(received[1]!.headers['message-id']).to.equal(received[0]!.headers['message-id']);
      await new Promise<void>((resolve) => consumer.ack(received[1]!.message, {}, { onReceipt: resolve }));
      expect(stats(q)).to.include({ unacked: 0, depth: 0 });
    });

    it('1.2 ACK (stompit sends the ack id) settles a client-individual message', async () => {
      const q = unique('/queue/stompit-ack12');
      const producer = await connect();
      await send(producer, { destination: q }, 'x');
      const consumer = await connect();
      const received = collect(consumer, { destination: q, ack: 'client-individual' });
      await waitFor(() => received.length === 1, 5000, 'the message');
      expect(received[0]!.headers['ack']).to.be.a('string');
      await new Promise<void>((resolve) => consumer.ack(received[0]!.message, {}, { onReceipt: resolve }));
      expect(stats(q).unacked).to.equal(0);
    });

    it('commits a transaction of SENDs', async () => {
      const q = unique('/queue/stompit-tx');
      const consumer = await connect({ 'accept-version': '1.1' });
      const received = collect(consumer, { destination: q, ack: 'auto' });
      await sync(consumer);
      const producer = await connect({ 'accept-version': '1.1' });
      const tx = producer.begin();
      tx.send({ destination: q }).end('in-tx');
      await sync(producer);
      expect(stats(q).enqueued).to.equal(0);
      tx.commit();
      await waitFor(() => received.length === 1, 5000, 'the committed message');
      expect(received[0]!.body).to.equal('in-tx');
    });
  });

  describe('over TLS', () => {
    let e2e: E2eBroker;
    const seen: ConnectionInfo[] = [];
    // Records the transport's facts about each connection and lets everyone in.
    const recorder = definePlugin({ kind: 'security', name: 'e2e-connection-recorder', core: '>=0.1.0' }, (ctx) => {
      ctx.authenticator({
        name: 'recorder',
        authenticate: (_credentials, connection) => {
          seen.push(connection);
          const cn = connection.peerCertificate?.subject['CN'];
          return { principal: { name: typeof cn === 'string' ? cn : 'anonymous', groups: [], anonymous: cn === undefined } };
        },
      });
    });

    before(async () => { e2e = await startE2eBroker({ plugins: [...STANDARD_PLUGINS, recorder as unknown as PluginEntry] }); });
    after(() => e2e.stop());

    it('sends and receives over TLS with a client certificate, whose CN reaches security', async () => {
      const q = unique('/queue/tls');
      const client = await open({ port: e2e.tlsPort, ...tlsMaterial(true) }, clients);
      const info = seen.find((c) => c.id === client.headers['session']);
      expect(info, 'the connection seen by the authenticator').to.not.equal(undefined);
      expect(info!.transport).to.equal('tls');
      expect(info!.secure).to.equal(true);
      expect(info!.peerCertificate?.subject['CN']).to.equal('alice');
      expect(e2e.broker.mqm.listSessions().find((s) => s.id === client.headers['session'])?.user).to.equal('alice');
      const received = collect(client, { destination: q, ack: 'auto' });
      await sync(client);
      await send(client, { destination: q }, 'over tls');
      await waitFor(() => received.length === 1, 5000, 'the message');
      expect(received[0]!.body).to.equal('over tls');
    });

    it('accepts a TLS client without a certificate, with no peer certificate', async () => {
      const client = await open({ port: e2e.tlsPort, ...tlsMaterial(false) }, clients);
      const info = seen.find((c) => c.id === client.headers['session']);
      expect(info!.secure).to.equal(true);
      expect(info!.peerCertificate).to.equal(undefined);
    });
  });
});
