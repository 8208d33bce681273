import { expect } from 'chai';
import { addRatios, goalFor, table, type Result } from '../report.js';

const result = (scenario: string, metric: string, target: Result['target'], median: number, unit = 'msg/s'): Result => ({
  scenario, metric, size: 100, target, runs: [median], median, unit,
});

describe('bench report', () => {
  it('takes ratios to the relay, and durable-receipts to Wharf with one transaction per message', () => {
    const results = [
      result('queue-1-1', 'throughput', 'relay', 400_000), result('queue-1-1', 'throughput', 'wharf', 200_000),
      result('durable-receipts', 'throughput', 'wharf-1tx', 2_000), result('durable-receipts', 'throughput', 'wharf', 50_000),
    ];
    addRatios(results);
    expect(results[1]!.ratio).to.equal(0.5);
    expect(results[3]!.ratio).to.equal(25);
    expect(results[2]!.ratio, 'the reference has no ratio').to.equal(undefined);
    expect(goalFor('durable-receipts', 'throughput')!.met(results[3]!)).to.equal(true);
    const text = table(results, new Map([['durable-receipts', 'durable receipts']]));
    expect(text).to.include('2.0k (1 tx per message)').and.include('25.00×');
  });

  it('takes the ACK-per-message variant to one transaction per message too, with no target', () => {
    const results = [
      result('durable-receipts-acks', 'throughput', 'wharf-1tx', 4_000), result('durable-receipts-acks', 'throughput', 'wharf', 60_000),
    ];
    addRatios(results);
    expect(results[1]!.ratio).to.equal(15);
    expect(goalFor('durable-receipts-acks', 'throughput')).to.equal(undefined);
  });

  it('judges the slow consumer by its peak memory against the high-watermark', () => {
    const goal = goalFor('slow-consumer', 'peak-rss-vs-watermark')!;
    expect(goal.met(result('slow-consumer', 'peak-rss-vs-watermark', 'wharf', 1.19, '×'))).to.equal(true);
    expect(goal.met(result('slow-consumer', 'peak-rss-vs-watermark', 'wharf', 1.21, '×'))).to.equal(false);
  });
});
