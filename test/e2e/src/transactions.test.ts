/**
 * A transaction that fails in the middle applies nothing (STOMP 1.2 §BEGIN, §COMMIT: the
 * operations of a transaction are handled atomically; issue 14). A real broker on ephemeral
 * ports, @stomp/stompjs over TCP as the client.
 */
import { expect } from 'chai';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { Tracker, stompOverTcp, unique, waitFor, type StompClient } from './helpers.js';

describe('e2e: transactions over STOMP are all or nothing', function () {
  let e2e: E2eBroker;
  const clients = new Tracker();

  before(async () => {
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS],
      routing: { rules: [{ match: '^/queue/capped-', type: 'queue', options: { maxLength: 2, overflow: 'reject' } }] },
    });
  });
  afterEach(() => clients.closeAll());
  after(() => e2e.stop());

  const connect = (): Promise<StompClient> => stompOverTcp(e2e.tcpPort, {}, clients);
  const stats = (name: string) => e2e.broker.mqm.destinationStats(name);

  /** The broker keeps serving: a new client sends and receives on `destination`. */
  async function expectServing(destination: string): Promise<void> {
    const client = await connect();
    const sub = await client.subscribe(destination);
    await client.publishConfirmed(destination, 'still-serving');
    await sub.waitCount(1);
    expect(sub.bodies).to.deep.equal(['still-serving']);
  }

  it('SENDs: the fourth of five overflows a queue with room for two; nothing is delivered, the ERROR names it', async () => {
    const before = unique('/queue/tx-before');
    const capped = unique('/queue/capped-tx');
    const after = unique('/queue/tx-after');
    const watcher = await connect();
    // Nobody takes from the capped queue, so it would hold what it is sent.
    const [seenBefore, seenAfter] = [await watcher.subscribe(before), await watcher.subscribe(after)];
    const producer = await connect();
    const tx = producer.client.begin('tx1');
    producer.client.publish({ destination: before, body: 'first', headers: { transaction: tx.id } });
    for (const body of ['a', 'b', 'c']) producer.client.publish({ destination: capped, body, headers: { transaction: tx.id } });
    producer.client.publish({ destination: after, body: 'last', headers: { transaction: tx.id } });
    tx.commit();
    const error = await producer.nextError();
    expect(error.headers['message']).to.match(/^operation 4 of transaction tx1 \(SEND to \/queue\/capped-tx[^)]*\): queue \/queue\/capped-tx\S* is full/);
    await producer.waitClosed();
    await watcher.publishConfirmed(after, 'marker');
    await seenAfter.waitCount(1);
    expect(seenAfter.bodies, 'nothing of the transaction reached /queue/tx-after').to.deep.equal(['marker']);
    expect(seenBefore.messages, 'nor the destination of its first operation').to.have.length(0);
    expect(stats(capped)).to.include({ depth: 0, enqueued: 0 });
    await expectServing(unique('/queue/tx-serving'));
  });

  it('ACKs: the second ACK of one message fails; the first is not applied either, nor the SEND after it', async () => {
    const q = unique('/queue/tx-acks');
    const out = unique('/queue/tx-acks-out');
    const consumer = await connect();
    const sub = await consumer.subscribe(q, { ack: 'client-individual' });
    const producer = await connect();
    await producer.publishConfirmed(q, 'm1');
    await producer.publishConfirmed(q, 'm2');
    await sub.waitCount(2);
    const [m1, m2] = sub.messages;
    const tx = consumer.client.begin('tx2');
    m2!.ack({ transaction: tx.id });
    m1!.ack({ transaction: tx.id });
    m1!.ack({ transaction: tx.id });
    consumer.client.publish({ destination: out, body: 'never', headers: { transaction: tx.id } });
    tx.commit();
    const error = await consumer.nextError();
    expect(error.headers['message']).to.match(/^operation 3 of transaction tx2 \(ACK of delivery \d+ on \/queue\/tx-acks\S*\)/);
    await consumer.waitClosed();
    // Not acknowledged: the closed consumer's two messages went back to the queue, both of them.
    await waitFor(() => stats(q).depth === 2, 5000, 'both messages back in the queue');
    const again = await connect();
    const redelivered = await again.subscribe(q);
    await redelivered.waitCount(2);
    expect(redelivered.bodies).to.deep.equal(['m1', 'm2']);
    expect(redelivered.messages.every((m) => m.headers['redelivered'] === 'true')).to.equal(true);
    expect(e2e.broker.mqm.lookup(out)?.stats().enqueued ?? 0, 'the SEND after the failing ACK').to.equal(0);
    await expectServing(unique('/queue/tx-serving'));
  });
});
