/** Message ids: one width, ordered by creation, unique across broker processes (the node part). */
import { expect } from 'chai';
import { Broker, createLogger, definePlugin, ErrorCodes, IdMinter, NODE_ID_WIDTH, Tokens, WharfError } from '../../src/index.js';
import { tinyTypesPlugin } from '../helpers/tiny-types.js';

const silent = createLogger('silent');

describe('IdMinter', () => {
  it('never gives two minters of different nodes the same id, even when they start in the same millisecond', () => {
    const startedAt = Date.now();
    const a = new IdMinter({ nodeId: 'a1', startedAt });
    const b = new IdMinter({ nodeId: 'b2', startedAt });
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      seen.add(a.next());
      seen.add(b.next());
    }
    expect(seen.size).to.equal(20_000);
  });

  it('makes ids of one width that sort in creation order, across an epoch and across restarts', () => {
    const first = new IdMinter({ nodeId: '7', startedAt: 1_000_000 });
    const ids = [first.next(), first.next()];
    (first as unknown as { counter: number }).counter = 999_999_998; // the last ids of the first epoch
    for (let i = 0; i < 4; i++) ids.push(first.next());
    const restarted = new IdMinter({ nodeId: '7', startedAt: 1_000_001 });
    ids.push(restarted.next());
    expect(new Set(ids.map((id) => id.length)).size, 'one width').to.equal(1);
    expect([...ids].sort()).to.deep.equal(ids);
    expect(new Set(ids).size).to.equal(ids.length);
  });

  it('puts the node id, padded to its width, into every id', () => {
    const minter = new IdMinter({ nodeId: '7' });
    expect(minter.nodeId).to.equal('7'.padStart(NODE_ID_WIDTH, '0'));
    expect(minter.next().slice(8, 8 + NODE_ID_WIDTH)).to.equal(minter.nodeId);
    expect(new IdMinter().nodeId).to.match(new RegExp(`^[0-9a-z]{${NODE_ID_WIDTH}}$`));
  });

  it('refuses a node id that does not fit, naming the rule', () => {
    for (const nodeId of ['', 'UPPER', 'toolong', 'a-b']) {
      expect(() => new IdMinter({ nodeId })).to.throw(WharfError, /node id/).with.property('code', ErrorCodes.CONFIG);
    }
  });

  it('gives messages made in one turn one timestamp, and a later turn a new reading', async () => {
    const minter = new IdMinter();
    const a = minter.createMessage('/q', {}, Buffer.alloc(0), false);
    const b = minter.createMessage('/q', {}, Buffer.alloc(0), true);
    expect(a.timestamp).to.equal(b.timestamp);
    expect(b).to.include({ destination: '/q', persistent: true });
    await new Promise((r) => setTimeout(r, 2));
    expect(minter.createMessage('/q', {}, Buffer.alloc(0), false).timestamp).to.be.greaterThan(a.timestamp);
  });

  it('takes the broker node id from BrokerOptions, or from a plugin that registers Tokens.NodeId', async () => {
    const byOption = await Broker.create({ plugins: [tinyTypesPlugin] }, { logger: silent, nodeId: 'n1' });
    expect(byOption.mqm.minter.nodeId).to.equal('00n1');
    expect(byOption.mqm.createMessage('/q', {}, Buffer.alloc(0), false).id.slice(8, 12)).to.equal('00n1');
    const cluster = definePlugin({ kind: 'queue-type', name: 'fake-cluster', core: '^0.1.0' }, (ctx) => ctx.provide(Tokens.NodeId, 'c7'));
    const byPlugin = await Broker.create({ plugins: [tinyTypesPlugin, cluster] }, { logger: silent, nodeId: 'n1' });
    expect(byPlugin.mqm.minter.nodeId).to.equal('00c7');
  });
});
