/**
 * Durable messages over real STOMP connections: RECEIPTs after the commit, an ERROR without a
 * RECEIPT when the store fails (the broker going on with plain traffic and recovering), ACK
 * RECEIPTs after the removal. The kill -9 scenario is crash.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { afterEach, beforeEach, describe, it } from 'mocha';
import type { SqliteStore } from '@wharf/store-sqlite';
import { STANDARD_PLUGINS, startE2eBroker, type E2eBroker } from './broker.js';
import { RawConnection, Tracker, frame } from './helpers.js';

describe('e2e: durable messages over STOMP', () => {
  let dir: string;
  let e2e: E2eBroker;
  const tracker = new Tracker();

  const open = async (): Promise<RawConnection> => {
    const conn = await RawConnection.open(e2e.tcpPort, tracker);
    conn.write(frame('CONNECT', { 'accept-version': '1.2', host: '/' }));
    await conn.waitFrame('CONNECTED');
    return conn;
  };
  const storedIn = async (queue: string): Promise<number> => {
    let n = 0;
    for await (const _ of e2e.broker.durability!.store.replay(queue)) n++;
    return n;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'wharf-e2e-durable-'));
    e2e = await startE2eBroker({
      plugins: [...STANDARD_PLUGINS, { use: '@wharf/store-sqlite', options: { path: join(dir, 'wharf.db') } }],
      store: { use: 'sqlite' },
    });
  });

  afterEach(async () => {
    await tracker.closeAll();
    await e2e.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the RECEIPT of a persistent SEND once stored, and the ACK RECEIPT once forgotten', async () => {
    const producer = await open();
    producer.write(frame('SEND', { destination: '/queue/d1', persistent: 'true', receipt: 's1' }, 'kept'));
    await producer.waitFrame('RECEIPT');
    expect(await storedIn('/queue/d1'), 'stored when the RECEIPT came').to.equal(1);
    const consumer = await open();
    consumer.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/d1', ack: 'client-individual' }));
    const message = await consumer.waitFrame('MESSAGE');
    expect(message.headers['persistent']).to.equal('true');
    consumer.write(frame('ACK', { id: message.headers['ack']!, receipt: 'a1' }));
    await consumer.waitFrame('RECEIPT');
    expect(await storedIn('/queue/d1'), 'removed when the ACK RECEIPT came').to.equal(0);
  });

  it('sends the RECEIPTs of persistent SENDs stored in one batch once each, in the order sent', async () => {
    const producer = await open();
    const commitsBefore = e2e.broker.durability!.stats.commits;
    const sends = Array.from({ length: 30 }, (_, i) => frame('SEND', { destination: '/queue/batch', persistent: 'true', receipt: `r${i}` }, `m${i}`));
    producer.write(Buffer.concat(sends)); // one write: the broker reads them in one turn
    await producer.waitFrame('RECEIPT', 5000, 30);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const receipts = producer.reader.byCommand('RECEIPT').map((r) => r.headers['receipt-id']);
    expect(receipts).to.deep.equal(sends.map((_, i) => `r${i}`));
    expect(await storedIn('/queue/batch')).to.equal(30);
    expect(e2e.broker.durability!.stats.commits - commitsBefore, 'stored together, not one transaction each').to.be.below(5);
  });

  it('answers persistent SENDs of one batch that the store refuses with one ERROR naming the first, and no RECEIPT', async () => {
    const db = (e2e.broker.durability!.store as SqliteStore).database!;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const refused = await open();
    const big = Buffer.alloc(64 * 1024, 'z');
    refused.write(Buffer.concat(['f1', 'f2', 'f3'].map((receipt) => frame('SEND', { destination: '/queue/full', persistent: 'true', receipt }, big))));
    const error = await refused.waitFrame('ERROR');
    expect(error.headers['receipt-id']).to.equal('f1');
    await refused.waitClosed();
    expect(refused.reader.byCommand('ERROR')).to.have.length(1);
    expect(refused.reader.byCommand('RECEIPT')).to.have.length(0);
    db.pragma('max_page_count = 1073741823');
    expect(await storedIn('/queue/full')).to.equal(0);
  });

  it('answers a persistent SEND with an ERROR and no RECEIPT while the disk is full, serves plain traffic, and recovers', async () => {
    const db = (e2e.broker.durability!.store as SqliteStore).database!;
    db.pragma(`max_page_count = ${db.pragma('page_count', { simple: true }) as number}`);
    const refused = await open();
    refused.write(frame('SEND', { destination: '/queue/d2', persistent: 'true', receipt: 's1' }, Buffer.alloc(64 * 1024, 'z')));
    const error = await refused.waitFrame('ERROR');
    expect(error.headers['receipt-id']).to.equal('s1');
    expect(error.headers['message']).to.match(/store/);
    expect(refused.reader.byCommand('RECEIPT')).to.have.length(0);

    const plain = await open();
    plain.write(frame('SUBSCRIBE', { id: '0', destination: '/queue/plain' }));
    plain.write(frame('SEND', { destination: '/queue/plain', receipt: 'p1' }, 'still flowing'));
    await plain.waitFrame('RECEIPT');
    expect((await plain.waitFrame('MESSAGE')).body.toString()).to.equal('still flowing');

    db.pragma('max_page_count = 1073741823');
    plain.write(frame('SEND', { destination: '/queue/d2', persistent: 'true', receipt: 's2' }, 'after'));
    await plain.waitFrame('RECEIPT', 5000, 2);
    expect(await storedIn('/queue/d2')).to.equal(1);
  });
});
