/**
 * Crash flags with a durable queue (docs/durability.md, "After a crash"): a broker that did not stop
 * cleanly brings back every message it may have delivered as redelivered, including those whose
 * delivery marks were not written yet; a clean stop over-flags nothing; a store without
 * Store.recovery gets every restored message flagged.
 */
import { expect } from 'chai';
import { afterEach, describe, it } from 'mocha';
import type { Broker, Store, StoreOp, StoredDestination, StoredMessage } from '@wharf/core';
import { connectClient, message, settle, startTestBroker } from '@wharf/testkit';
import { MemoryStore, memoryStorePlugin } from '@wharf/store-memory';
import queuePlugin from '../src/index.js';

const routing = { rules: [], prefixes: { '/queue/': 'queue' }, fallback: 'reject' };
const persistent = (body: string) => message(body, {}, true);
const settled = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await settle();
};
const bodyAndFlag = (d: { message: { body: Uint8Array }; redelivered: boolean }): [string, boolean] => [Buffer.from(d.message.body).toString(), d.redelivered];

/** A MemoryStore without recovery(): a store written before Store.recovery existed. */
class OldStore implements Store {
  readonly name = 'memory';
  private readonly inner = new MemoryStore();
  setup(): Promise<void> { return this.inner.setup(); }
  write(ops: readonly StoreOp[]): Promise<void> { return this.inner.write(ops); }
  destinations(): Promise<StoredDestination[]> { return this.inner.destinations(); }
  replay(destination: string): AsyncIterable<StoredMessage> { return this.inner.replay(destination); }
  close(): Promise<void> { return this.inner.close(); }
}

describe('queue crash flags', () => {
  const brokers: Broker[] = [];
  const start = async (store: Store): Promise<Broker> => {
    const broker = await startTestBroker({ plugins: [queuePlugin, memoryStorePlugin(store)], routing });
    brokers.push(broker);
    return broker;
  };

  afterEach(async () => {
    for (const broker of brokers.splice(0)) await broker.stop();
  });

  it('after an unclean stop, brings back redelivered what was delivered before its delivery mark was written', async () => {
    const store = new MemoryStore();
    const first = await start(store);
    const c = await connectClient(first);
    for (let i = 0; i < 6; i++) await c.session.send('/queue/c', persistent(`m${i}`));
    const { consumer } = c.subscribe('/queue/c', { ackMode: 'client-individual', prefetch: 3 });
    await settled();
    expect(consumer.bodies).to.deep.equal(['m0', 'm1', 'm2']);
    expect((await store.recovery()).clean, 'the run marked the store unclean before delivering').to.equal(false);
    // The crash: a second broker opens the store while the first never stopped, its marks (25-50 ms) unwritten.
    const counts = [];
    for await (const s of store.replay('/queue/c')) counts.push(s.deliveryCount);
    expect(counts, 'no delivery mark was written yet').to.deep.equal([0, 0, 0, 0, 0, 0]);
    const second = await start(store);
    const after = (await connectClient(second)).subscribe('/queue/c', { ackMode: 'client-individual' }).consumer;
    await settled();
    const got = after.deliveries.map(bodyAndFlag);
    expect(got.slice(0, 3), 'delivered before the crash: redelivered').to.deep.equal([['m0', true], ['m1', true], ['m2', true]]);
    expect(got.map(([body]) => body)).to.deep.equal(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    const flags = [];
    for await (const s of store.replay('/queue/c')) flags.push(s.deliveryCount > 0);
    expect(flags.slice(0, 3), 'the start wrote the flags as delivery marks: a second crash keeps them').to.deep.equal([true, true, true]);
  });

  it('after a clean stop, flags only what was delivered', async () => {
    const store = new MemoryStore();
    const first = await start(store);
    const c = await connectClient(first);
    for (let i = 0; i < 4; i++) await c.session.send('/queue/c', persistent(`m${i}`));
    c.subscribe('/queue/c', { ackMode: 'client-individual', prefetch: 1 });
    await settled();
    await first.stop();
    brokers.splice(0);
    expect((await (async () => { await store.setup(); return store.recovery(); })()).clean).to.equal(true);
    const second = await start(store);
    const after = (await connectClient(second)).subscribe('/queue/c', { ackMode: 'client-individual' }).consumer;
    await settled();
    expect(after.deliveries.map(bodyAndFlag)).to.deep.equal([['m0', true], ['m1', false], ['m2', false], ['m3', false]]);
  });

  it('with a store without recovery(), flags every restored message (it cannot tell a clean stop from a crash)', async () => {
    const store = new OldStore();
    const first = await start(store);
    const c = await connectClient(first);
    for (let i = 0; i < 3; i++) await c.session.send('/queue/c', persistent(`m${i}`));
    await first.stop();
    brokers.splice(0);
    const second = await start(store);
    const after = (await connectClient(second)).subscribe('/queue/c', { ackMode: 'client-individual' }).consumer;
    await settled();
    expect(after.deliveries.map(bodyAndFlag)).to.deep.equal([['m0', true], ['m1', true], ['m2', true]]);
  });
});
