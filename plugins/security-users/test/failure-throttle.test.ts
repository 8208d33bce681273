import { expect } from 'chai';
import { FailureThrottle } from '../src/failure-throttle.js';

describe('FailureThrottle', () => {
  let now = 0;
  const throttle = (maxAddresses = 100) =>
    new FailureThrottle({ baseDelayMs: 50, maxDelayMs: 5000, forgetAfterMs: 60_000, maxAddresses }, () => now);
  beforeEach(() => { now = 1_000_000; });

  it('doubles the delay with each failure from one address, up to the cap', () => {
    const t = throttle();
    const delays = Array.from({ length: 10 }, () => t.failure('10.0.0.1'));
    expect(delays).to.deep.equal([50, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(t.delayFor(10_000)).to.equal(5000);
  });

  it('keeps addresses apart', () => {
    const t = throttle();
    for (let i = 0; i < 5; i++) t.failure('10.0.0.1');
    expect(t.failure('10.0.0.2')).to.equal(50);
    expect(t.failures('10.0.0.3')).to.equal(0);
  });

  it('forgets an address after a quiet while', () => {
    const t = throttle();
    for (let i = 0; i < 5; i++) t.failure('10.0.0.1');
    now += 59_000;
    expect(t.failure('10.0.0.1')).to.equal(1600);
    now += 60_001;
    expect(t.failures('10.0.0.1')).to.equal(0);
    expect(t.failure('10.0.0.1')).to.equal(50);
  });

  it('holds a bounded number of addresses, forgetting the least recently failing first', () => {
    const t = throttle(3);
    for (const a of ['a', 'b', 'c']) { t.failure(a); t.failure(a); }
    t.failure('a');
    t.failure('d');
    expect(t.failures('b')).to.equal(0);
    expect(t.failures('a')).to.equal(3);
    expect(t.failures('c')).to.equal(2);
  });
});
