import { expect } from 'chai';
import { FairScheduler } from '../src/fair-scheduler.js';

/** A task that finishes when told to, recording when it started. */
function controlled(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => { finish = resolve; });
  return { task: () => { log.push(name); return done; }, finish: () => finish() };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FairScheduler', () => {
  it('runs at most `concurrency` tasks at once', async () => {
    const log: string[] = [];
    const s = new FairScheduler(2);
    const tasks = ['a', 'b', 'c'].map((n) => controlled(log, n));
    const runs = tasks.map((t, i) => s.run(`k${i}`, t.task));
    await tick();
    expect(log).to.deep.equal(['a', 'b']);
    expect(s.queued).to.equal(1);
    tasks[0]!.finish();
    await tick();
    expect(log).to.deep.equal(['a', 'b', 'c']);
    tasks.slice(1).forEach((t) => t.finish());
    await Promise.all(runs);
  });

  it('serves waiting keys round-robin: one newcomer waits for one task of the busy key, not all of them', async () => {
    const log: string[] = [];
    const s = new FairScheduler(1);
    const first = controlled(log, 'g0');
    const guesses = [first, ...Array.from({ length: 9 }, (_, i) => controlled(log, `g${i + 1}`))];
    const runs = guesses.map((g) => s.run('attacker', g.task));
    const good = controlled(log, 'good');
    runs.push(s.run('good client', good.task));
    await tick();
    first.finish();
    await tick();
    expect(log).to.deep.equal(['g0', 'g1']);
    guesses[1]!.finish();
    await tick();
    expect(log, 'the good client is next').to.deep.equal(['g0', 'g1', 'good']);
    good.finish();
    guesses.slice(2).forEach((g) => g.finish());
    for (let i = 0; i < 12; i++) await tick();
    await Promise.all(runs);
    expect(log).to.have.length(11);
  });

  it('passes results and errors through', async () => {
    const s = new FairScheduler(1);
    expect(await s.run('k', async () => 42)).to.equal(42);
    const err = await s.run('k', async () => { throw new Error('boom'); }).catch((e: Error) => e.message);
    expect(err).to.equal('boom');
  });

  it('drops waiting tasks on close, rejecting them', async () => {
    const log: string[] = [];
    const s = new FairScheduler(1);
    const running = controlled(log, 'running');
    const first = s.run('a', running.task);
    const waiting = s.run('b', async () => { log.push('never'); });
    s.close();
    expect(await waiting.catch((e: Error) => e.message)).to.contain('stopping');
    running.finish();
    await first;
    expect(log).to.deep.equal(['running']);
  });
});
