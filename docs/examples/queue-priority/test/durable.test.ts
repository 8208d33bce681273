/**
 * Durability: persistent messages survive a restart on a real store (@wharf/store-sqlite in a
 * temporary folder), come back in priority order, redelivered when they had been handed out; a
 * message the store refused is never delivered.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { ErrorCodes, type Broker, type Store, type StoreOp, type StoredDestination, type StoredMessage, type StoredRecovery } from '@wharf/core';
import { connectClient, expectWharfError, message, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import sqliteStorePlugin from '@wharf/store-sqlite';
import { MemoryStore, memoryStorePlugin } from '@wharf/store-memory';
import priorityPlugin from '../src/index.js';

const routing = {
  rules: [
    { match: '^/priority/all-durable/', type: 'priority', options: { durable: true } },
    { match: '^/priority/', type: 'priority' },
  ],
  prefixes: {},
  fallback: 'reject',
};

describe('priority queue with a durable store', () => {
  let dir: string;
  let broker: Broker | undefined;

  /** A broker on the sqlite file in `dir`: calling it again after stop() is a restart. */
  const start = async (): Promise<TestClient> => {
    broker = await startTestBroker({
      plugins: [priorityPlugin, { use: sqliteStorePlugin, options: { path: join(dir, 'wharf.db') } }],
      routing,
    });
    return connectClient(broker);
  };
  const restart = async (): Promise<TestClient> => {
    await broker!.stop();
    return start();
  };
  const send = (client: TestClient, destination: string, body: string, priority: number, persistent = true): void | Promise<void> =>
    client.session.send(destination, message(body, { priority: String(priority) }, persistent));

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-priority-'));
  });

  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  it('brings persistent messages back after a restart, by priority; a delivered one redelivered, an acknowledged one never', async () => {
    let client = await start();
    for (const [body, priority] of [['low', 1], ['top-1', 9], ['mid', 5], ['top-2', 9], ['gone', 9]] as const) {
      await send(client, '/priority/orders', body, priority);
    }
    const { consumer, subscription } = client.subscribe('/priority/orders', { ackMode: 'client-individual', prefetch: 2 });
    expect(consumer.bodies).to.deep.equal(['top-1', 'top-2']);
    await client.session.ack(subscription, consumer.deliveries[0]!.tag); // top-1 is done for good
    expect(consumer.bodies).to.deep.equal(['top-1', 'top-2', 'gone']);
    await client.session.ack(subscription, consumer.deliveries[2]!.tag);
    expect(consumer.bodies, 'mid is handed out, low still waits').to.deep.equal(['top-1', 'top-2', 'gone', 'mid']);

    client = await restart();
    const after = client.subscribe('/priority/orders', { ackMode: 'client-individual' }).consumer;
    await settle();
    expect(after.bodies).to.deep.equal(['top-2', 'mid', 'low']);
    expect(after.deliveries[0]).to.include({ redelivered: true, deliveryCount: 2 });
    expect(after.deliveries[1]).to.include({ redelivered: true, deliveryCount: 2 });
    expect(after.deliveries[2]).to.include({ redelivered: false, deliveryCount: 1 });
    expect(after.deliveries.map((d) => d.message.persistent)).to.deep.equal([true, true, true]);
  });

  it('keeps FIFO within a priority across a restart, and forgets plain messages unless the queue is durable', async () => {
    let client = await start();
    for (let i = 0; i < 5; i++) await send(client, '/priority/mixed', `kept-${i}`, 3);
    await send(client, '/priority/mixed', 'plain', 9, false);
    await send(client, '/priority/all-durable/x', 'plain-but-durable', 2, false);
    client = await restart();
    expect(client.subscribe('/priority/mixed').consumer.bodies).to.deep.equal(['kept-0', 'kept-1', 'kept-2', 'kept-3', 'kept-4']);
    expect(client.subscribe('/priority/all-durable/x').consumer.bodies).to.deep.equal(['plain-but-durable']);
  });

  it('removes a message from the store once an auto-mode subscriber has it', async () => {
    let client = await start();
    await send(client, '/priority/auto', 'once', 4);
    expect(client.subscribe('/priority/auto').consumer.bodies).to.deep.equal(['once']);
    await settle();
    client = await restart();
    expect(client.subscribe('/priority/auto').consumer.bodies).to.deep.equal([]);
  });
});

/** A store whose writes fail while `failing` is set. */
class FailingStore implements Store {
  readonly name = 'memory';
  failing = false;
  private readonly inner = new MemoryStore();
  setup(): Promise<void> { return this.inner.setup(); }
  write(ops: readonly StoreOp[]): Promise<void> {
    if (this.failing) return Promise.reject(new Error('disk full'));
    return this.inner.write(ops);
  }
  destinations(): Promise<StoredDestination[]> { return this.inner.destinations(); }
  replay(destination: string): AsyncIterable<StoredMessage> { return this.inner.replay(destination); }
  recovery(): Promise<StoredRecovery> { return this.inner.recovery(); }
  close(): Promise<void> { return this.inner.close(); }
}

describe('priority queue when the store refuses a message', () => {
  it('rejects the send with WHARF_ERR_STORE and never delivers the message; later ones go on in order', async () => {
    const store = new FailingStore();
    const broker = await startTestBroker({ plugins: [priorityPlugin, memoryStorePlugin(store)], routing });
    try {
      const client = await connectClient(broker);
      const { consumer } = client.subscribe('/priority/refused');
      store.failing = true;
      const refused = client.session.send('/priority/refused', message('refused', { priority: '9' }, true));
      // A plain message sent behind it waits for the store's answer, then goes on.
      const behind = client.session.send('/priority/refused', message('behind', { priority: '9' }, false));
      await expectWharfError(() => refused, ErrorCodes.STORE);
      await behind;
      await settle();
      expect(consumer.bodies).to.deep.equal(['behind']);
      store.failing = false;
      await client.session.send('/priority/refused', message('stored', {}, true));
      await settle();
      expect(consumer.bodies).to.deep.equal(['behind', 'stored']);
      expect(broker.mqm.destinationStats('/priority/refused')).to.include({ depth: 0, enqueued: 2 });
    } finally {
      await broker.stop();
    }
  });
});
