import { expect } from 'chai';
import { describeVerdict } from '../accounting.js';
import { runBench, type BenchOptions } from '../run.js';

const quick: Omit<BenchOptions, 'scenarios'> = {
  sizes: [100], runs: 1, seconds: 0.3, warmupSeconds: 0.1, inflight: 2000, rate: 2000, openRate: 20000, connections: 10,
  log: () => undefined,
};

describe('bench: a --quick run', function () {
  // Each case starts real servers and runs a few short scenarios (a few seconds in all).
  this.timeout(30000);

  it('runs queue 1 → 1 against the relay and against Wharf with a passing exactly-once check', async () => {
    const report = await runBench({ ...quick, scenarios: ['queue-1-1'] });
    expect(report.failures).to.deep.equal([]);
    expect(report.verdicts.map((v) => v.target).sort()).to.deep.equal(['relay', 'wharf']);
    for (const { verdict } of report.verdicts) {
      expect(verdict.ok, describeVerdict(verdict)).to.equal(true);
      expect(verdict.received).to.be.greaterThan(0);
    }
    const wharf = report.results.find((r) => r.target === 'wharf' && r.metric === 'throughput');
    expect(wharf?.ratio, 'Wharf figure reported as a ratio to the relay').to.be.a('number');
  });

  it('drives the null server (the generator ceiling) and the relay\'s topic fan-out', async () => {
    const report = await runBench({ ...quick, scenarios: ['ceiling', 'topic-1-10'], only: ['relay'] });
    expect(report.failures).to.deep.equal([]);
    expect(report.results.filter((r) => r.target === 'null').map((r) => r.metric).sort()).to.deep.equal(['generator-cpu', 'parse', 'send', 'server-cpu']);
    // Ten subscribers: ten groups per target, each exactly once.
    expect(report.verdicts.map((v) => v.target)).to.deep.equal(Array(10).fill('relay'));
    expect(report.verdicts.every((v) => v.verdict.ok)).to.equal(true);
  });
});
