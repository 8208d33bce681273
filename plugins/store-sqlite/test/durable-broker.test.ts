/**
 * Brokers on a real SQLite file: restarts (a second Broker on the same file), pubsub copies in one
 * transaction, destinations created by command, a full disk and the recovery after it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { Broker, ErrorCodes, createLogger, type DestinationInfo, type PluginEntry } from '@wharf/core';
import { connectClient, expectWharfError, message, replayAll, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import queuePlugin from '@wharf/queue-queue';
import pubsubPlugin from '@wharf/queue-pubsub';
import commandPlugin from '@wharf/queue-command';
import topicPlugin from '@wharf/queue-topic';
import sqlitePlugin, { SqliteStore } from '../src/index.js';

const persistent = (body: string, headers: Record<string, string> = {}) => message(body, headers, true);
const flushed = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await settle();
};

describe('durable broker on sqlite', () => {
  let dir: string;
  let path: string;
  let brokers: Broker[];

  const plugins = (): PluginEntry[] => [
    topicPlugin, queuePlugin, pubsubPlugin, commandPlugin, { use: sqlitePlugin as never, options: { path } },
  ];
  const start = async (extra: Record<string, unknown> = {}): Promise<{ broker: Broker; client: TestClient }> => {
    const broker = await startTestBroker({ plugins: plugins(), store: { use: 'sqlite' }, ...extra });
    brokers.push(broker);
    return { broker, client: await connectClient(broker) };
  };
  const command = async (client: TestClient, verb: string, headers: Record<string, string>): Promise<void> => {
    await client.session.send(`/command/${verb}`, message('', headers));
  };
  const find = (broker: Broker, name: string): DestinationInfo | undefined => broker.mqm.listDestinations().find((d) => d.name === name);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-durable-'));
    path = join(dir, 'data', 'wharf.db');
    brokers = [];
  });

  afterEach(async () => {
    for (const broker of brokers) await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives a second broker on the same file every held message in order; unacknowledged ones come back redelivered, acknowledged ones never', async () => {
    const first = await start();
    for (let i = 1; i <= 6; i++) await first.client.session.send('/queue/jobs', persistent(`job${i}`));
    await first.client.session.send('/queue/other', persistent('other1'));
    const worker = first.client.subscribe('/queue/jobs', { ackMode: 'client', prefetch: 3 });
    await flushed();
    expect(worker.consumer.bodies).to.deep.equal(['job1', 'job2', 'job3']);
    await first.client.session.ack(worker.subscription, worker.consumer.deliveries[1]!.tag); // cumulative: job1, job2
    await flushed();
    expect(worker.consumer.bodies).to.deep.equal(['job1', 'job2', 'job3', 'job4', 'job5']);
    await first.broker.stop();

    const second = await start();
    const again = second.client.subscribe('/queue/jobs', { ackMode: 'client-individual' });
    expect(again.consumer.bodies).to.deep.equal(['job3', 'job4', 'job5', 'job6']);
    expect(again.consumer.deliveries.map((d) => d.redelivered)).to.deep.equal([true, true, true, false]);
    expect(again.consumer.deliveries.map((d) => d.deliveryCount)).to.deep.equal([2, 2, 2, 1]);
    expect(again.consumer.deliveries[0]!.message.persistent).to.equal(true);
    expect(second.client.subscribe('/queue/other').consumer.bodies).to.deep.equal(['other1']);
    for (const d of again.consumer.deliveries) await second.client.session.ack(again.subscription, d.tag);
    await second.broker.stop();

    const third = await start();
    expect(third.client.subscribe('/queue/jobs').consumer.bodies, 'everything was acknowledged').to.deep.equal([]);
  });

  it('writes the copies of a persistent message sent to a pubsub into every durable child in one transaction', async () => {
    const first = await start({ pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/shipping', '/queue/audit', '/topic/live'] } } });
    const live = first.client.subscribe('/topic/live');
    const before = first.broker.durability!.stats.commits;
    await first.client.session.send('/pubsub/orders', persistent('order-1'));
    expect(first.broker.durability!.stats.commits - before, 'one transaction for three children').to.equal(1);
    expect(live.consumer.bodies).to.deep.equal(['order-1']);
    const store = first.broker.durability!.store;
    for (const child of ['/queue/billing', '/queue/shipping', '/queue/audit']) {
      expect((await replayAll(store, child)).map((s) => s.message.destination), child).to.deep.equal(['/pubsub/orders']);
    }
    await first.broker.stop();

    const second = await start({ pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/shipping', '/queue/audit', '/topic/live'] } } });
    for (const child of ['/queue/billing', '/queue/shipping', '/queue/audit']) {
      expect(second.client.subscribe(child).consumer.bodies, child).to.deep.equal(['order-1']);
    }
  });

  it('brings back queues created by command and pubsub children added by command; deleted ones stay deleted', async () => {
    const first = await start();
    await command(first.client, 'create-queue', { name: '/queue/made' });
    await command(first.client, 'create-queue', { name: '/pubsub/fan' });
    await command(first.client, 'add-child', { pubsub: '/pubsub/fan', child: '/queue/c1' });
    await command(first.client, 'add-child', { pubsub: '/pubsub/fan', child: '/queue/c2' });
    await command(first.client, 'add-child', { pubsub: '/pubsub/fan', child: '/queue/c3' });
    await command(first.client, 'remove-child', { pubsub: '/pubsub/fan', child: '/queue/c2' });
    await command(first.client, 'create-queue', { name: '/queue/temporary' });
    await command(first.client, 'delete-queue', { name: '/queue/temporary' });
    await first.client.session.send('/pubsub/fan', persistent('before-restart'));
    await first.broker.stop();

    const second = await start();
    expect(find(second.broker, '/queue/made')).to.include({ type: 'queue', depth: 0 });
    expect(find(second.broker, '/pubsub/fan')).to.deep.include({ type: 'pubsub', children: ['/queue/c1', '/queue/c3'] });
    expect(find(second.broker, '/queue/temporary'), 'deleted before the restart').to.equal(undefined);
    expect(find(second.broker, '/queue/c1')).to.include({ type: 'queue', depth: 1 });
    await second.client.session.send('/pubsub/fan', persistent('after-restart'));
    expect(second.client.subscribe('/queue/c1').consumer.bodies).to.deep.equal(['before-restart', 'after-restart']);
    expect(second.client.subscribe('/queue/c3').consumer.bodies).to.deep.equal(['before-restart', 'after-restart']);
    expect(find(second.broker, '/queue/c2')?.depth ?? 0, 'removed before the message was sent').to.equal(0);
  });

  it('refuses persistent sends with WHARF_ERR_STORE while the disk is full, keeps plain traffic, and recovers once there is room', async () => {
    const { broker, client } = await start();
    const plain = client.subscribe('/queue/plain');
    const db = (broker.durability!.store as SqliteStore).database!;
    await client.session.send('/queue/big', persistent('first'));
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`); // the disk is full from now on
    const big = Buffer.alloc(256 * 1024, 'x');
    const refused = await expectWharfError(() => client.session.send('/queue/big', { headers: {}, body: big, persistent: true }), ErrorCodes.STORE);
    expect(refused.message).to.match(/full/i);
    client.session.send('/queue/plain', message('still-flowing'));
    expect(plain.consumer.bodies).to.deep.equal(['still-flowing']);
    expect(broker.durability!.stats.failing).to.equal(true);
    db.pragma('max_page_count = 1073741823'); // room again
    await client.session.send('/queue/big', { headers: {}, body: big, persistent: true });
    expect(broker.durability!.stats.failing).to.equal(false);
    const held = client.subscribe('/queue/big', { ackMode: 'client-individual' });
    expect(held.consumer.deliveries.map((d) => d.message.body.byteLength), 'the refused message was not kept').to.deep.equal([5, big.byteLength]);
  });

  it('refuses a persistent message to a pubsub in every durable child at once when the store fails', async () => {
    const { broker, client } = await start({ pubsub: { '/pubsub/orders': { children: ['/queue/billing', '/queue/shipping'] } } });
    const db = (broker.durability!.store as SqliteStore).database!;
    await client.session.send('/pubsub/orders', persistent('fits'));
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const big = Buffer.alloc(128 * 1024, 'y');
    await expectWharfError(() => client.session.send('/pubsub/orders', { headers: {}, body: big, persistent: true }), ErrorCodes.STORE);
    for (const child of ['/queue/billing', '/queue/shipping']) {
      expect(broker.mqm.destinationStats(child).depth, `${child} holds only the first message`).to.equal(1);
      expect(await replayAll(broker.durability!.store, child), child).to.have.length(1);
    }
    db.pragma('max_page_count = 1073741823');
    await client.session.send('/pubsub/orders', persistent('after'));
    for (const child of ['/queue/billing', '/queue/shipping']) {
      expect(client.subscribe(child).consumer.bodies, child).to.deep.equal(['fits', 'after']);
    }
  });

  it('refuses to open a file another running broker holds', async function () {
    this.timeout(20_000);
    await start();
    const error = await expectWharfError(() => start(), ErrorCodes.STORE);
    expect(error.message).to.match(/in use by another process|locked/);
  });

  it('logs at start which store keeps durable messages, or that they live in memory only', async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _e, cb) { lines.push(chunk.toString()); cb(); } });
    const withStore = await Broker.create({ plugins: plugins(), store: { use: 'sqlite' } }, { logger: createLogger('info', sink) });
    await withStore.start();
    await withStore.stop();
    expect(lines.join('')).to.include('durable store sqlite open');
    lines.length = 0;
    const without = await Broker.create({ plugins: plugins().slice(0, 4) }, { logger: createLogger('info', sink) });
    await without.start();
    await without.stop();
    expect(lines.join('')).to.include('persistent messages are kept in memory only');
  });

  it('names the loaded stores when store.use names none of them', async () => {
    const error = await expectWharfError(() => Broker.create({ plugins: plugins(), store: { use: 'sqlit' } }), ErrorCodes.CONFIG);
    expect(error.describe()).to.include('sqlite');
  });
});
