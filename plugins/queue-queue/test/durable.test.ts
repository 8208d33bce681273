/**
 * Durable queues on an in-memory store: receipts after the group commit, order kept behind
 * messages being stored, acks removing from the store, store failures and recovery.
 */
import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { ErrorCodes, MARK_DELAY_MS, type Broker, type Store, type StoreOp, type StoredDestination, type StoredMessage, type StoredRecovery } from '@wharf/core';
import { connectClient, expectWharfError, message, replayAll, settle, startTestBroker, type TestClient } from '@wharf/testkit';
import { MemoryStore, memoryStorePlugin } from '@wharf/store-memory';
import queuePlugin from '../src/index.js';

/** A MemoryStore that records each write and can hold writes back until released. */
class GatedStore implements Store {
  readonly name = 'memory';
  readonly writes: StoreOp[][] = [];
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;

  constructor(readonly inner = new MemoryStore()) {}

  /** Writes wait from now on until release(). */
  hold(): void {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  release(): void {
    this.openGate?.();
    this.gate = undefined;
  }

  setup(): Promise<void> {
    return this.inner.setup();
  }

  async write(ops: readonly StoreOp[]): Promise<void> {
    this.writes.push([...ops]);
    if (this.gate) await this.gate;
    await this.inner.write(ops);
  }

  destinations(): Promise<StoredDestination[]> {
    return this.inner.destinations();
  }

  replay(destination: string): AsyncIterable<StoredMessage> {
    return this.inner.replay(destination);
  }

  recovery(): Promise<StoredRecovery> {
    return this.inner.recovery();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

const routing = {
  rules: [
    { match: '^/queue/durable/', type: 'queue', options: { durable: true } },
    { match: '^/queue/bounded/', type: 'queue', options: { maxLength: 2, overflow: 'drop-head' } },
  ],
  prefixes: { '/queue/': 'queue' },
  fallback: 'reject',
};

const persistent = (body: string) => message(body, {}, true);
const appendsIn = (ops: readonly StoreOp[]) => ops.filter((op) => op.op === 'append').length;
const text = (list: readonly StoredMessage[]) => list.map((s) => Buffer.from(s.message.body).toString());
/** Waits until the durability service has nothing in flight (a few turns of the loop). */
const flushed = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await settle();
};

describe('queue with a durable store', () => {
  let broker: Broker;
  let store: GatedStore;
  let client: TestClient;

  const start = async (extra: Record<string, unknown> = {}): Promise<void> => {
    broker = await startTestBroker({ plugins: [queuePlugin, memoryStorePlugin(store)], routing, ...extra });
    client = await connectClient(broker);
  };

  beforeEach(async () => {
    store = new GatedStore();
  });

  afterEach(async () => {
    store.release();
    await broker?.stop();
  });

  it('resolves a persistent send only after the transaction holding it committed, and delivers it only then', async () => {
    await start();
    const { consumer } = client.subscribe('/queue/a');
    store.hold();
    let accepted = false;
    const sent = client.session.send('/queue/a', persistent('one'));
    expect(sent, 'a persistent send returns a promise').to.be.instanceOf(Promise);
    void (sent as Promise<void>).then(() => { accepted = true; });
    await flushed();
    expect(store.writes, 'the write has started').to.have.length(1);
    expect(accepted, 'not accepted before the commit').to.equal(false);
    expect(consumer.deliveries, 'not delivered before the commit').to.have.length(0);
    store.release();
    await sent;
    expect(accepted).to.equal(true);
    expect(consumer.bodies).to.deep.equal(['one']);
    expect(consumer.deliveries[0]!.message.persistent).to.equal(true);
  });

  it('writes every persistent message of one turn in one transaction, never one per message', async () => {
    await start();
    const sends = Array.from({ length: 200 }, (_, i) => client.session.send(`/queue/q${i % 4}`, persistent(`m${i}`)));
    await Promise.all(sends);
    expect(store.writes, 'one transaction').to.have.length(1);
    expect(appendsIn(store.writes[0]!)).to.equal(200);
    // What arrives while a batch is being written forms the next batch.
    store.hold();
    const first = client.session.send('/queue/q0', persistent('a'));
    await flushed();
    const later = Array.from({ length: 50 }, (_, i) => client.session.send('/queue/q1', persistent(`b${i}`)));
    await flushed();
    store.release();
    await Promise.all([first, ...later]);
    expect(store.writes.slice(1).map(appendsIn)).to.deep.equal([1, 50]);
  });

  it('keeps the order of a queue: a message sent after a persistent one waits for its commit', async () => {
    await start();
    const { consumer } = client.subscribe('/queue/a');
    store.hold();
    const first = client.session.send('/queue/a', persistent('persistent-1'));
    expect(client.session.send('/queue/a', message('plain-2')), 'a plain send returns at once').to.equal(undefined);
    const third = client.session.send('/queue/a', persistent('persistent-3'));
    client.session.send('/queue/a', message('plain-4'));
    await flushed();
    expect(consumer.deliveries, 'the plain message does not overtake the persistent one').to.have.length(0);
    expect(broker.mqm.destinationStats('/queue/a').depth).to.equal(4);
    store.release();
    await Promise.all([first, third]);
    expect(consumer.bodies).to.deep.equal(['persistent-1', 'plain-2', 'persistent-3', 'plain-4']);
  });

  it('refuses persistent sends with WHARF_ERR_STORE while the store fails, keeps plain traffic flowing, and recovers by itself', async () => {
    await start();
    const { consumer } = client.subscribe('/queue/a');
    store.inner.failWrites(new Error('SQLITE_FULL: database or disk is full'));
    const refused = await expectWharfError(() => client.session.send('/queue/a', persistent('lost')), ErrorCodes.STORE);
    expect(refused.message).to.include('disk is full');
    client.session.send('/queue/a', message('plain'));
    await flushed();
    expect(consumer.bodies, 'the refused message is not delivered; plain traffic flows').to.deep.equal(['plain']);
    expect(broker.durability!.stats.failing).to.equal(true);
    store.inner.failWrites();
    await client.session.send('/queue/a', persistent('after'));
    await flushed(); // its delivery horizon was retried with it (docs/durability.md, "After a crash")
    expect(consumer.bodies).to.deep.equal(['plain', 'after']);
    expect(broker.durability!.stats.failing).to.equal(false);
    await flushed();
    expect(text(await replayAll(store.inner, '/queue/a')), 'auto mode: delivered is done').to.deep.equal([]);
  });

  it('resolves the ack of a persistent message once the store forgot it, retrying after a store failure', async () => {
    await start();
    await client.session.send('/queue/a', persistent('one'));
    await client.session.send('/queue/a', persistent('two'));
    const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual' });
    await flushed();
    expect(consumer.bodies).to.deep.equal(['one', 'two']);
    // Delivery marks wait MARK_DELAY_MS to 2 × MARK_DELAY_MS for an ack that would make them moot.
    await new Promise((resolve) => setTimeout(resolve, 2 * MARK_DELAY_MS + 20));
    await flushed();
    const stored = await replayAll(store.inner, '/queue/a');
    expect(stored.map((s) => s.deliveryCount), 'deliveries are recorded').to.deep.equal([1, 1]);
    const acked = client.session.ack(subscription, consumer.deliveries[0]!.tag);
    expect(acked, 'the ack waits for the store').to.be.instanceOf(Promise);
    await acked;
    expect(text(await replayAll(store.inner, '/queue/a'))).to.deep.equal(['two']);

    store.inner.failWrites(new Error('I/O error'));
    let done = false;
    const second = client.session.ack(subscription, consumer.deliveries[1]!.tag) as Promise<void>;
    void second.then(() => { done = true; });
    await flushed();
    expect(done, 'not done while the store fails').to.equal(false);
    store.inner.failWrites();
    await second; // retried by itself, with no other traffic
    expect(await replayAll(store.inner, '/queue/a')).to.deep.equal([]);
  });

  it('writes no delivery mark for a message acknowledged before the mark was due', async () => {
    await start();
    await client.session.send('/queue/a', persistent('quick'));
    await client.session.send('/queue/a', persistent('slow'));
    const { consumer, subscription } = client.subscribe('/queue/a', { ackMode: 'client-individual' });
    await flushed();
    await client.session.ack(subscription, consumer.deliveries[0]!.tag);
    await new Promise((resolve) => setTimeout(resolve, 2 * MARK_DELAY_MS + 20));
    await flushed();
    const marks = store.writes.flat().filter((op) => op.op === 'delivered').map((op) => (op as { id: string }).id);
    expect(marks, 'only the unacknowledged message is marked').to.deep.equal([consumer.deliveries[1]!.message.id]);
    expect((await replayAll(store.inner, '/queue/a')).map((s) => [Buffer.from(s.message.body).toString(), s.deliveryCount]))
      .to.deep.equal([['slow', 1]]);
  });

  it('stores every message of a queue whose routing rule says durable: true', async () => {
    await start();
    const sent = client.session.send('/queue/durable/jobs', message('not-marked-persistent'));
    expect(sent).to.be.instanceOf(Promise);
    await sent;
    expect(text(await replayAll(store.inner, '/queue/durable/jobs'))).to.deep.equal(['not-marked-persistent']);
    expect((await store.inner.destinations()).map((d) => d.name)).to.deep.equal(['/queue/durable/jobs']);
  });

  it('keeps plain messages of an ordinary queue out of the store', async () => {
    await start();
    expect(client.session.send('/queue/a', message('plain'))).to.equal(undefined);
    await flushed();
    expect(store.writes).to.have.length(0);
  });

  it('removes purged, dropped and auto-acknowledged messages from the store', async () => {
    await start();
    for (const body of ['a', 'b', 'c']) await client.session.send('/queue/bounded/x', persistent(body));
    await flushed();
    expect(text(await replayAll(store.inner, '/queue/bounded/x')), 'drop-head dropped a').to.deep.equal(['b', 'c']);
    expect(broker.mqm.purgeDestination('/queue/bounded/x')).to.equal(2);
    await flushed();
    expect(await replayAll(store.inner, '/queue/bounded/x')).to.deep.equal([]);
    await client.session.send('/queue/p', persistent('p1'));
    await client.session.send('/queue/p', persistent('p2'));
    const held = client.subscribe('/queue/p', { ackMode: 'client', prefetch: 1 });
    await client.session.send('/queue/p', persistent('p3'));
    await flushed();
    expect(held.consumer.bodies).to.deep.equal(['p1']);
    expect(broker.mqm.purgeDestination('/queue/p'), 'held, not the unacknowledged one').to.equal(2);
    await flushed();
    expect(text(await replayAll(store.inner, '/queue/p')), 'the delivered message stays until acked').to.deep.equal(['p1']);
    const auto = client.subscribe('/queue/q');
    await client.session.send('/queue/q', persistent('q1'));
    await flushed();
    expect(auto.consumer.bodies).to.deep.equal(['q1']);
    expect(await replayAll(store.inner, '/queue/q')).to.deep.equal([]);
  });

  it('forgets a deleted queue and its messages', async () => {
    await start();
    await client.session.send('/queue/gone', persistent('x'));
    expect(broker.mqm.deleteDestination('/queue/gone')).to.equal(true);
    await flushed();
    expect(await store.inner.destinations()).to.deep.equal([]);
    expect(await replayAll(store.inner, '/queue/gone')).to.deep.equal([]);
  });

  it('restores held and unacknowledged messages in order after a restart, delivered ones marked redelivered', async () => {
    await start();
    for (const body of ['m1', 'm2', 'm3', 'm4']) await client.session.send('/queue/r', persistent(body));
    const first = client.subscribe('/queue/r', { ackMode: 'client-individual', prefetch: 2 });
    await flushed();
    expect(first.consumer.bodies).to.deep.equal(['m1', 'm2']);
    await client.session.ack(first.subscription, first.consumer.deliveries[0]!.tag);
    await flushed();
    expect(first.consumer.bodies, 'the ack made room for m3').to.deep.equal(['m1', 'm2', 'm3']);
    await broker.stop();

    await start();
    const again = client.subscribe('/queue/r', { ackMode: 'client-individual' });
    expect(again.consumer.bodies, 'm1 was acknowledged').to.deep.equal(['m2', 'm3', 'm4']);
    expect(again.consumer.deliveries.map((d) => [d.redelivered, d.deliveryCount])).to.deep.equal([[true, 2], [true, 2], [false, 1]]);
  });

  it('writes one transaction per message with groupCommit: false (for benchmarks)', async () => {
    await start({ store: { use: 'memory', groupCommit: false } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => client.session.send('/queue/slow', persistent(`m${i}`))));
    // Writes without appends are the queue's delivery horizon (no consumer here: the first append's guess).
    expect(store.writes.map(appendsIn).filter((n) => n > 0)).to.deep.equal(Array.from({ length: 20 }, () => 1));
    expect(text(await replayAll(store.inner, '/queue/slow'))).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`));
  });
});

describe('queue without a durable store', () => {
  it('keeps persistent messages in memory and accepts them at once', async () => {
    const broker = await startTestBroker({ plugins: [queuePlugin], routing });
    try {
      const client = await connectClient(broker);
      expect(broker.durability).to.equal(undefined);
      expect(client.session.send('/queue/a', persistent('kept in memory'))).to.equal(undefined);
      const { consumer } = client.subscribe('/queue/a');
      expect(consumer.bodies).to.deep.equal(['kept in memory']);
    } finally {
      await broker.stop();
    }
  });
});
