/**
 * @wharf/cluster-redis when Redis fails (issue 16: "Redis unreachable: ... nodes reconnect and carry
 * on by themselves; the log says what happened"), each against a Redis of its own.
 */
import { expect } from 'chai';
import { startRedisServer, type RedisServer } from '@wharf/testkit';
import { clusterBroker, freshPrefix, next, until, type TestBroker } from './support.js';

describe('cluster-redis: when Redis fails', function () {
  this.timeout(30_000);
  let server: RedisServer;
  let brokers: TestBroker[] = [];

  beforeEach(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(brokers.map(({ broker }) => broker.stop()));
    brokers = [];
    await server.stop();
  });

  async function make(nodeId: string, leaseMs = 900): Promise<TestBroker> {
    const made = await clusterBroker({ url: server.url, prefix: 'f', nodeId, leaseMs });
    brokers.push(made);
    return made;
  }

  it('starts while Redis is down (saying so once), and joins when it comes up', async () => {
    await server.stop();
    const a = await make('d1');
    await a.broker.start();
    expect(a.broker.running).to.equal(true);
    expect(a.node.state).to.equal('joining');
    expect(a.logs.matching(/unreachable at start/)).to.have.length(1);
    await server.restart();
    await until(() => a.node.state === 'live', 'the node to join');
    expect(a.logs.matching(/answers now/)).to.have.length(1);
    expect(a.logs.matching(/unreachable at start/)).to.have.length(1);
    expect([...(await a.node.refreshLiveNodes())]).to.deep.equal(['00d1']);
  });

  it('logs a lost connection once and its recovery once, and claims its lease again', async () => {
    const a = await make('k1');
    await a.broker.start();
    const leaseLost = next(a.node, 'lease-lost');
    await server.kill('SIGKILL');
    await until(() => a.logs.matching(/lost the connection/).length > 0, 'the loss to be logged');
    // Several reconnection attempts fail meanwhile; they are not logged one by one.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await server.restart();
    await until(() => a.logs.matching(/is back after/).length > 0, 'the recovery to be logged');
    await leaseLost; // Redis restarted empty: the lease was gone and is claimed again.
    expect(a.logs.matching(/lost the connection/)).to.have.length(1);
    expect(a.logs.matching(/is back after/)).to.have.length(1);
    expect(a.node.state).to.equal('live');
    expect([...(await a.node.refreshLiveNodes())]).to.deep.equal(['00k1']);
  });

  it('logs a hung Redis (SIGSTOP) once and its answer once, and carries on after SIGCONT', async () => {
    const a = await make('s1');
    const b = await make('s2');
    await a.broker.start();
    await b.broker.start();
    server.pause();
    await until(() => a.logs.matching(/has not answered for/).length > 0, 'the hang to be logged', 10_000);
    // Longer than the lease: the refresh ticks that pass meanwhile send nothing more and log nothing more.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    server.resume();
    await until(() => a.logs.matching(/answers again after/).length > 0, 'the answer to be logged');
    expect(a.logs.matching(/has not answered for/)).to.have.length(1);
    expect(a.logs.matching(/answers again after/)).to.have.length(1);
    await until(async () => (await a.node.refreshLiveNodes()).size === 2, 'both nodes live again');
    expect(a.node.state).to.equal('live');
    expect(b.node.state).to.equal('live');
  });

  it('finds a collision late when Redis hung through the start: logs it, stops refreshing, leaves the holder alone', async () => {
    const holder = await make('lc', 10_000);
    await holder.broker.start();
    const token = await holder.node.redis.get('f:node:00lc');
    const late = await make('lc', 900);
    server.pause();
    await late.broker.start(); // waits 900 ms for an answer, then runs on
    expect(late.logs.matching(/unreachable at start/)).to.have.length(1);
    const refused = new Promise((resolve) => late.node.once('refused', resolve));
    server.resume();
    await refused;
    expect(late.node.state).to.equal('refused');
    expect(late.broker.running).to.equal(true);
    expect(late.logs.matching(/node id 00lc is held by another live process/)).to.have.length(1);
    expect(await holder.node.redis.get('f:node:00lc')).to.equal(token);
    expect(holder.node.state).to.equal('live');
  });
});
