import { expect } from 'chai';
import { describeVerdict, GroupAccounting } from '../accounting.js';

describe('bench: exactly-once accounting', () => {
  it('passes every message delivered once, in order', () => {
    const g = new GroupAccounting('q', 2, 1);
    for (let s = 0; s < 5000; s++) { g.record(0, 0, s); g.record(0, 1, s); }
    const v = g.verify([5000, 5000]);
    expect(v.ok, describeVerdict(v)).to.equal(true);
    expect(v.received).to.equal(10000);
    expect(v.expected).to.equal(10000);
  });

  it('passes competing consumers that each see an increasing subsequence', () => {
    const g = new GroupAccounting('q', 1, 3);
    for (let s = 0; s < 3000; s++) g.record(s % 3, 0, s);
    expect(g.verify([3000]).ok).to.equal(true);
  });

  it('catches a duplicate', () => {
    const g = new GroupAccounting('q', 1, 2);
    for (let s = 0; s < 100; s++) g.record(0, 0, s);
    g.record(1, 0, 42);
    const v = g.verify([100]);
    expect(v.ok).to.equal(false);
    expect(v.duplicates).to.equal(1);
    expect(v.missing).to.equal(0);
    expect(describeVerdict(v)).to.match(/NOT exactly once.*1 duplicated.*seq 42/);
  });

  it('catches a gap', () => {
    const g = new GroupAccounting('q', 1, 1);
    for (let s = 0; s < 100; s++) if (s !== 17) g.record(0, 0, s);
    const v = g.verify([100]);
    expect(v.ok).to.equal(false);
    expect(v.missing).to.equal(1);
    expect(v.examples.join()).to.match(/first: seq 17/);
  });

  it('catches messages missing at the end (sent but never delivered)', () => {
    const g = new GroupAccounting('q', 1, 1);
    for (let s = 0; s < 90; s++) g.record(0, 0, s);
    const v = g.verify([100]);
    expect(v.ok).to.equal(false);
    expect(v.missing).to.equal(10);
  });

  it('catches a reordering on one consumer', () => {
    const g = new GroupAccounting('q', 1, 1);
    for (const s of [0, 1, 3, 2, 4]) g.record(0, 0, s);
    const v = g.verify([5]);
    expect(v.ok).to.equal(false);
    expect(v.reordered).to.equal(1);
    expect(v.missing).to.equal(0);
    expect(v.duplicates).to.equal(0);
  });

  it('catches a message that was never sent', () => {
    const g = new GroupAccounting('q', 1, 1);
    for (let s = 0; s < 11; s++) g.record(0, 0, s);
    g.record(0, 5, 0);
    const v = g.verify([10]);
    expect(v.ok).to.equal(false);
    expect(v.unexpected).to.equal(2);
  });
});
