/**
 * Paging to disk (QueueContext.pager, docs/flow-control.md): a queue past its pageOutBytes writes
 * held messages to its spill file, keeps stubs, and reads them back in order before delivery.
 * Order, redelivery, purge, drop-head, delete and restart behave as without paging.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { afterEach, describe, it } from 'mocha';
import { ErrorCodes, type Broker, type Delivery } from '@wharf/core';
import { connectClient, message, replayAll, startTestBroker, type TestClient } from '@wharf/testkit';
import { MemoryStore, memoryStorePlugin } from '@wharf/store-memory';
import queuePlugin from '../src/index.js';

const BODY = 10 * 1024;
const COUNT = 200;
const PAGE_OUT = 100 * 1024;

const routing = {
  rules: [
    { match: '^/queue/bounded/', type: 'queue', options: { pageOutBytes: PAGE_OUT, maxLength: 150, overflow: 'drop-head' } },
    { match: '^/queue/never/', type: 'queue', options: { pageOutBytes: 0 } },
    { match: '^/queue/', type: 'queue', options: { pageOutBytes: PAGE_OUT } },
  ],
  prefixes: {},
  fallback: 'reject',
};

/** A body of BODY bytes that says which message it is. */
function body(i: number): Buffer {
  const b = Buffer.alloc(BODY, 0x61 + (i % 26));
  b.write(String(i).padStart(6, '0'));
  return b;
}
const numbers = (deliveries: readonly Delivery[]) => deliveries.map((d) => Number(Buffer.from(d.message.body).subarray(0, 6).toString()));
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('queue: paging to disk', () => {
  let broker: Broker | undefined;
  let store: MemoryStore;
  let client: TestClient;

  const start = async (): Promise<Broker> => {
    broker = await startTestBroker({ plugins: [queuePlugin, memoryStorePlugin(store)], routing });
    client = await connectClient(broker);
    return broker;
  };
  const spillBytes = (): number => {
    const dir = broker!.pages!.path;
    if (!existsSync(dir)) return 0;
    return readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
  };
  /** Sends COUNT messages of BODY bytes to `name`, every third persistent, and waits for their commits. */
  const fill = async (name: string, count = COUNT): Promise<void> => {
    const sends: unknown[] = [];
    for (let i = 0; i < count; i++) sends.push(client.session.send(name, message(body(i), { n: String(i) }, i % 3 === 0)));
    await Promise.all(sends);
  };
  const pagedOut = () => eventually(() => broker!.flow.held < 4 * PAGE_OUT, 'pages to go out');

  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  it('pages a backlog out past pageOutBytes (held bytes go down, the spill file grows) and delivers everything in order, as sent', async () => {
    store = new MemoryStore();
    await start();
    await fill('/queue/a');
    await pagedOut();
    expect(broker!.mqm.destinationStats('/queue/a').depth, 'every message is still in the queue').to.equal(COUNT);
    expect(spillBytes()).to.be.greaterThan((COUNT * BODY) / 2);
    const { consumer } = client.subscribe('/queue/a');
    await eventually(() => consumer.deliveries.length === COUNT, 'every message delivered');
    expect(numbers(consumer.deliveries)).to.deep.equal(range(0, COUNT));
    for (const [i, d] of consumer.deliveries.entries()) {
      expect(Buffer.from(d.message.body).equals(body(i)), `body ${i}`).to.equal(true);
      expect(d.message.headers).to.deep.equal({ n: String(i) });
      expect(d.message.persistent).to.equal(i % 3 === 0);
      expect(d.message.destination).to.equal('/queue/a');
      expect(d.redelivered).to.equal(false);
    }
    expect(broker!.mqm.destinationStats('/queue/a')).to.include({ depth: 0, delivered: COUNT });
    expect(broker!.flow.held, 'nothing held once delivered').to.be.at.most(0);
    await eventually(() => spillBytes() === 0, 'the spill file emptied once nothing is paged');
    expect(await replayAll(store, '/queue/a'), 'auto mode: the persistent ones are done').to.deep.equal([]);
  });

  it('keeps paged messages behind the head: what arrives while paging waits its turn, and a slow consumer gets them in order', async () => {
    store = new MemoryStore();
    await start();
    await fill('/queue/a', 100);
    await pagedOut();
    const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual', prefetch: 7 });
    const sends: unknown[] = [];
    for (let i = 100; i < COUNT; i++) sends.push(client.session.send('/queue/a', message(body(i))));
    await Promise.all(sends);
    let acked = 0;
    await eventually(() => {
      while (acked < consumer.deliveries.length) void client.session.ack(subscription, consumer.deliveries[acked++]!.tag);
      return consumer.deliveries.length === COUNT;
    }, 'every message delivered through a window of 7');
    expect(numbers(consumer.deliveries)).to.deep.equal(range(0, COUNT));
  });

  it('redelivers NACKed and returned messages marked as such, in order, also after they were paged', async () => {
    store = new MemoryStore();
    await start();
    // 100 deliveries unacknowledged, then returned: back at the head with a delivery count of 1.
    const first = client.subscribe('/queue/a', { ackMode: 'client-individual' });
    await fill('/queue/a', 100);
    expect(first.consumer.deliveries).to.have.length(100);
    first.subscription.detach();
    // One more message pages the end of that head out.
    await client.session.send('/queue/a', message(body(100)));
    await pagedOut();
    const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual', prefetch: 1 });
    await eventually(() => consumer.deliveries.length === 1, 'the first redelivery');
    client.session.nack(subscription, consumer.deliveries[0]!.tag);
    let acked = 1;
    await eventually(() => {
      while (acked < consumer.deliveries.length) void client.session.ack(subscription, consumer.deliveries[acked++]!.tag);
      return consumer.deliveries.length === 102;
    }, 'every message');
    expect(numbers(consumer.deliveries)).to.deep.equal([0, ...range(0, 101)]);
    expect(consumer.deliveries.map((d) => d.deliveryCount)).to.deep.equal([2, 3, ...range(1, 100).map(() => 2), 1]);
    expect(consumer.deliveries.slice(0, 101).every((d) => d.redelivered)).to.equal(true);
    expect(consumer.deliveries[101]!.redelivered).to.equal(false);
  });

  it('purges paged messages too: nothing is delivered afterwards, the store and the spill file forget them', async () => {
    store = new MemoryStore();
    await start();
    await fill('/queue/a');
    await pagedOut();
    expect(broker!.mqm.purgeDestination('/queue/a')).to.equal(COUNT);
    expect(broker!.mqm.destinationStats('/queue/a').depth).to.equal(0);
    expect(broker!.flow.held).to.be.at.most(0);
    await client.session.send('/queue/a', message(body(999)));
    const { consumer } = client.subscribe('/queue/a');
    await eventually(() => consumer.deliveries.length === 1, 'the message sent after the purge');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(numbers(consumer.deliveries)).to.deep.equal([999]);
    await eventually(() => spillBytes() === 0, 'the spill file emptied');
    expect(await replayAll(store, '/queue/a')).to.deep.equal([]);
  });

  it('drops the oldest messages, paged ones included, with drop-head past maxLength', async () => {
    store = new MemoryStore();
    await start();
    // One at a time: a message still being stored is never dropped, so each waits for its commit.
    for (let i = 0; i < COUNT; i++) await client.session.send('/queue/bounded/a', message(body(i), {}, i % 3 === 0));
    await pagedOut();
    expect(broker!.mqm.destinationStats('/queue/bounded/a')).to.include({ depth: 150, dropped: 50 });
    const { consumer } = client.subscribe('/queue/bounded/a');
    await eventually(() => consumer.deliveries.length === 150, 'the 150 kept');
    expect(numbers(consumer.deliveries)).to.deep.equal(range(50, COUNT));
    const stored = await replayAll(store, '/queue/bounded/a');
    expect(stored, 'dropped persistent ones are forgotten; delivered ones are done').to.deep.equal([]);
  });

  it('removes the spill file when the queue is deleted and the page directory when the broker stops', async () => {
    store = new MemoryStore();
    await start();
    await fill('/queue/a');
    await pagedOut();
    expect(spillBytes()).to.be.greaterThan(0);
    broker!.mqm.deleteDestination('/queue/a');
    await eventually(() => readdirSync(broker!.pages!.path).length === 0, 'the spill file removed');
    const dir = broker!.pages!.path;
    await broker!.stop();
    broker = undefined;
    expect(existsSync(dir)).to.equal(false);
  });

  it('after a restart, gives back the persistent messages from the store, in order, paging them again', async () => {
    store = new MemoryStore();
    await start();
    await fill('/queue/a');
    await pagedOut();
    await broker!.stop();
    await start();
    await pagedOut();
    expect(broker!.mqm.destinationStats('/queue/a').depth).to.equal(Math.ceil(COUNT / 3));
    expect(spillBytes(), 'the restored backlog pages out again').to.be.greaterThan(0);
    const { consumer } = client.subscribe('/queue/a');
    await eventually(() => consumer.deliveries.length === Math.ceil(COUNT / 3), 'the persistent messages');
    expect(numbers(consumer.deliveries)).to.deep.equal(range(0, COUNT).filter((i) => i % 3 === 0));
  });

  it('never pages with pageOutBytes: 0, and refuses a negative one', async () => {
    store = new MemoryStore();
    await start();
    await fill('/queue/never/a', 50);
    expect(broker!.flow.held).to.be.greaterThan(50 * BODY);
    expect(spillBytes()).to.equal(0);
    await broker!.stop();
    broker = undefined;
    let code: string | undefined;
    try {
      await startTestBroker({ plugins: [queuePlugin], routing: { rules: [{ match: '^/q', type: 'queue', options: { pageOutBytes: -1 } }], prefixes: {}, fallback: 'reject' } });
    } catch (err) {
      code = (err as { code?: string }).code;
    }
    expect(code).to.equal(ErrorCodes.CONFIG);
  });

  it('removes at start the page directories of brokers that are no longer running, never those of a running one', async () => {
    store = new MemoryStore();
    const root = mkdtempSync(join(tmpdir(), 'wharf-pages-test-'));
    try {
      const dead = join(root, 'wharf-pages-2147483646-0badc0de');
      const alive = join(root, `wharf-pages-${process.pid}-00c0ffee`);
      for (const dir of [dead, alive]) {
        mkdirSync(dir);
        writeFileSync(join(dir, '1.pages'), 'left behind');
      }
      broker = await startTestBroker({ plugins: [queuePlugin, memoryStorePlugin(store)], routing, store: { pageDirectory: root } });
      client = await connectClient(broker);
      expect(existsSync(dead), 'a dead broker\'s files are removed').to.equal(false);
      expect(existsSync(alive), 'another broker of a running process keeps its files').to.equal(true);
      await fill('/queue/a');
      await pagedOut();
      expect(broker.pages!.path.startsWith(root)).to.equal(true);
      expect(spillBytes()).to.be.greaterThan(0);
    } finally {
      await broker?.stop();
      broker = undefined;
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps its messages in memory and delivers all of them, in order, when the disk refuses its pages', async () => {
    store = new MemoryStore();
    const root = mkdtempSync(join(tmpdir(), 'wharf-pages-test-'));
    try {
      writeFileSync(join(root, 'not-a-folder'), 'a file where the page directory should go');
      broker = await startTestBroker({ plugins: [queuePlugin, memoryStorePlugin(store)], routing, store: { pageDirectory: join(root, 'not-a-folder') } });
      client = await connectClient(broker);
      await fill('/queue/a');
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(broker.flow.held, 'still held in memory').to.be.greaterThan(COUNT * BODY);
      const { consumer } = client.subscribe('/queue/a');
      await eventually(() => consumer.deliveries.length === COUNT, 'every message delivered');
      expect(numbers(consumer.deliveries)).to.deep.equal(range(0, COUNT));
    } finally {
      await broker?.stop();
      broker = undefined;
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('holds everything in memory without a store (no pager)', async () => {
    broker = await startTestBroker({ plugins: [queuePlugin], routing });
    client = await connectClient(broker);
    expect(broker.pages).to.equal(undefined);
    await fill('/queue/a', 50);
    expect(broker.flow.held).to.be.greaterThan(50 * BODY);
    const { consumer } = client.subscribe('/queue/a');
    expect(numbers(consumer.deliveries)).to.deep.equal(range(0, 50));
  });
});
