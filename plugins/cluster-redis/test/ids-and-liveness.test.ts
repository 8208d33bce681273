/**
 * @wharf/cluster-redis against a real Redis (issue 16): message ids unique across nodes, node
 * liveness by expiring keys, and node id collisions refused.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { isWharfError } from '@wharf/core';
import { testRedisUrl } from '@wharf/testkit';
import { clusterBroker, freshPrefix, next, stompSession, type TestBroker } from './support.js';

describe('cluster-redis: node ids and liveness', function () {
  this.timeout(20_000);
  let url: string;
  let started: TestBroker[] = [];
  let redis: Redis;

  before(async () => {
    url = await testRedisUrl();
    redis = new Redis(url);
  });
  after(() => redis.disconnect());
  afterEach(async () => {
    await Promise.all(started.map(({ broker }) => broker.stop()));
    started = [];
  });

  async function start(options: { prefix: string; nodeId?: string; leaseMs?: number; stomp?: boolean }): Promise<TestBroker> {
    const made = await clusterBroker({ url, ...options });
    started.push(made);
    await made.broker.start();
    return made;
  }

  it('gives two brokers of one cluster different node ids, so their message ids never meet', async () => {
    const prefix = freshPrefix();
    const a = await start({ prefix });
    const b = await start({ prefix });
    expect(a.broker.mqm.minter.nodeId).to.equal(a.node.id).and.to.match(/^[0-9a-z]{4}$/);
    expect(b.broker.mqm.minter.nodeId).to.equal(b.node.id);
    expect(a.node.id).to.not.equal(b.node.id);
    const ids = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      ids.add(a.broker.mqm.createMessage('/queue/x', {}, new Uint8Array(0), false).id);
      ids.add(b.broker.mqm.createMessage('/queue/x', {}, new Uint8Array(0), false).id);
    }
    expect(ids.size).to.equal(2000);
  });

  it('gives sessions of different nodes different ids, each starting with its node\'s run (start time and node id)', async () => {
    const prefix = freshPrefix();
    const a = await start({ prefix, nodeId: 'sa', stomp: true });
    const b = await start({ prefix, nodeId: 'sb', stomp: true });
    const sessions = [
      await stompSession(a.broker.listeners[0]!.port),
      await stompSession(a.broker.listeners[0]!.port),
      await stompSession(b.broker.listeners[0]!.port),
    ];
    expect(new Set(sessions).size).to.equal(3);
    expect(sessions[0]!.startsWith(`${a.broker.mqm.minter.run}-`), sessions[0]).to.equal(true);
    expect(sessions[2]!.startsWith(`${b.broker.mqm.minter.run}-`), sessions[2]).to.equal(true);
    expect(a.broker.mqm.minter.run.endsWith('00sa')).to.equal(true);
  });

  it('uses a configured nodeId, padded as core pads it, for ids and for its lease key', async () => {
    const prefix = freshPrefix();
    const a = await start({ prefix, nodeId: 'a' });
    expect(a.broker.mqm.minter.nodeId).to.equal('000a');
    expect(a.broker.mqm.createMessage('/queue/x', {}, new Uint8Array(0), false).id.slice(8, 12)).to.equal('000a');
    expect(await redis.exists(`${prefix}:node:000a`)).to.equal(1);
    const pttl = await redis.pttl(`${prefix}:node:000a`);
    expect(pttl).to.be.greaterThan(0).and.at.most(1500);
  });

  it('writes keys under its prefix only', async () => {
    const prefix = freshPrefix();
    await start({ prefix, nodeId: 'k1' });
    const keys = await redis.keys(`*${prefix}*`);
    expect(keys.sort()).to.deep.equal([`${prefix}:node:00k1`, `${prefix}:nodes`]);
  });

  it('lets each node see the others, and a clean stop takes a node out at once', async () => {
    const prefix = freshPrefix();
    const a = await start({ prefix, nodeId: 'a1' });
    const b = await start({ prefix, nodeId: 'b1' });
    expect([...(await a.node.refreshLiveNodes())].sort()).to.deep.equal(['00a1', '00b1']);
    expect([...(await b.node.refreshLiveNodes())].sort()).to.deep.equal(['00a1', '00b1']);
    await b.broker.stop();
    expect(await redis.exists(`${prefix}:node:00b1`)).to.equal(0);
    expect([...(await a.node.refreshLiveNodes())]).to.deep.equal(['00a1']);
  });

  it('tells the others when a node that died without a word (lease left to expire) is gone', async () => {
    const prefix = freshPrefix();
    const a = await start({ prefix, nodeId: 'a2' });
    const upSeen = next(a.node, 'node-up');
    const b = await start({ prefix, nodeId: 'b2' });
    expect(await upSeen).to.equal('00b2');
    const downSeen = next(a.node, 'node-down');
    b.node.abandon();
    // Still live to the others until its lease runs out: nothing released it.
    expect(await redis.exists(`${prefix}:node:00b2`)).to.equal(1);
    expect(await downSeen).to.equal('00b2');
    expect(await redis.exists(`${prefix}:node:00b2`)).to.equal(0);
    expect([...a.node.liveNodes]).to.deep.equal(['00a2']);
  });

  it('refuses to start a second process claiming a live node id, naming the fix', async () => {
    const prefix = freshPrefix();
    await start({ prefix, nodeId: 'same' });
    const holder = await redis.get(`${prefix}:node:same`);
    const second = await clusterBroker({ url, prefix, nodeId: 'same' });
    try {
      await second.broker.start();
      expect.fail('a second node with the same id started');
    } catch (err) {
      expect(isWharfError(err)).to.equal(true);
      // Core says which plugin failed to start; the cause is the plugin's own error, with its fix.
      const wharf = err as Error & { code: string; cause?: Error & { code: string; hint?: string } };
      expect(wharf.code).to.equal('WHARF_ERR_PLUGIN_FAILED');
      expect(wharf.message).to.contain('plugin cluster-redis').and.to.contain('node id same is held by another live process');
      expect(wharf.cause?.code).to.equal('WHARF_ERR_CONFIG');
      expect(wharf.cause?.hint ?? '').to.contain('its own nodeId');
      expect(second.logs.matching(/node id same is held by another live process/)).to.have.length(1);
    } finally {
      await second.broker.stop();
    }
    // The first node's lease is untouched by the refused one.
    expect(await redis.get(`${prefix}:node:same`)).to.equal(holder);
  });

  it('lets the id be claimed again once its holder is gone', async () => {
    const prefix = freshPrefix();
    const first = await start({ prefix, nodeId: 'r1' });
    await first.broker.stop();
    const again = await start({ prefix, nodeId: 'r1' });
    expect(again.node.state).to.equal('live');
  });

  it('refuses options that do not fit (bad url, node id, lease) at create, naming the option', async () => {
    for (const [options, path] of [
      [{ url: 'http://x' }, 'url'],
      [{ url, nodeId: 'TooLong' }, 'nodeId'],
      [{ url, leaseMs: 10 }, 'leaseMs'],
    ] as const) {
      try {
        await clusterBroker({ prefix: 'p', ...options });
        expect.fail(`accepted ${JSON.stringify(options)}`);
      } catch (err) {
        expect(isWharfError(err), String(err)).to.equal(true);
        expect(JSON.stringify(err) + String((err as Error).message)).to.contain(path);
      }
    }
  });
});
