import { expect } from 'chai';
import { Router, explainRoute, ErrorCodes, WharfError } from '../src/index.js';

const defaults = { '/queue/': 'queue', '/pubsub/': 'pubsub', '/command/': 'command' };

function router(overrides: Partial<ConstructorParameters<typeof Router>[0]> = {}): Router {
  return new Router({ rules: [], prefixes: defaults, fallback: 'topic', cacheSize: 100, ...overrides });
}

describe('Router', () => {
  it('sends the default prefixes to queue, pubsub and command, and everything else to topic', () => {
    const r = router();
    expect(r.route('/queue/orders').type).to.equal('queue');
    expect(r.route('/pubsub/news').type).to.equal('pubsub');
    expect(r.route('/command/list').type).to.equal('command');
    expect(r.route('/chat/room1').type).to.equal('topic');
    expect(r.route('queue/orders').type).to.equal('topic');
  });

  it('applies rules in order: the first regex that matches wins, before any prefix', () => {
    const r = router({
      rules: [
        { match: '^/queue/priority\\.', type: 'priority', options: { levels: 10 } },
        { match: '^/queue/', type: 'special' },
        { match: 'priority', type: 'never-reached-for-queue-names' },
      ],
    });
    const decision = r.route('/queue/priority.high');
    expect(decision.type).to.equal('priority');
    expect(decision.settings).to.deep.equal({ levels: 10 });
    expect(decision.source).to.deep.equal({ kind: 'rule', index: 0, match: '^/queue/priority\\.' });
    expect(r.route('/queue/plain').type).to.equal('special');
    expect(r.route('/topic/priority').type).to.equal('never-reached-for-queue-names');
  });

  it('picks the longest matching prefix', () => {
    const r = router({ prefixes: { ...defaults, '/queue/fast/': 'topic', '/q': 'command' } });
    expect(r.route('/queue/fast/x').type).to.equal('topic');
    expect(r.route('/queue/slow').type).to.equal('queue');
    expect(r.route('/qq').type).to.equal('command');
    expect(r.route('/queue/fast/x').source).to.deep.equal({ kind: 'prefix', prefix: '/queue/fast/' });
  });

  it('falls back to the configured type, or refuses with `reject`', () => {
    expect(router({ fallback: 'queue' }).route('/x').type).to.equal('queue');
    const rejecting = router({ fallback: 'reject' });
    expect(rejecting.route('/x').type).to.equal(undefined);
    expect(rejecting.route('/queue/ok').type).to.equal('queue');
    expect(() => rejecting.typeOf('/x')).to.throw(WharfError).with.property('code', ErrorCodes.NO_ROUTE);
  });

  it('caches decisions per name and keeps the cache within its bound', () => {
    const r = router({ cacheSize: 3, rules: [{ match: '^/a', type: 'queue' }] });
    const first = r.route('/a1');
    expect(r.route('/a1')).to.equal(first);
    for (const name of ['/a2', '/a3', '/a4', '/a5']) r.route(name);
    expect(r.cachedCount).to.equal(3);
    expect(r.route('/a1').type).to.equal('queue');
    const uncached = router({ cacheSize: 0 });
    uncached.route('/x');
    expect(uncached.cachedCount).to.equal(0);
  });

  it('explains which rule, prefix or fallback decided', () => {
    const r = router({ rules: [{ match: '^/events/', type: 'topic' }], fallback: 'reject' });
    expect(explainRoute('/events/a', r.route('/events/a'))).to.equal('/events/a -> topic (routing.rules[0] match "^/events/")');
    expect(explainRoute('/queue/a', r.route('/queue/a'))).to.equal('/queue/a -> queue (routing.prefixes "/queue/")');
    expect(explainRoute('/zzz', r.route('/zzz'))).to.contain('refused');
  });
});
