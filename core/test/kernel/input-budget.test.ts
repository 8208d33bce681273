import { expect } from 'chai';
import { SharedInputBudget, defaultInputBufferBytes } from '../../src/kernel/input-budget.js';

describe('SharedInputBudget: the broker-wide budget for unfinished input frames', () => {
  /** An account and a log of its resumes. */
  function open(budget: SharedInputBudget, name: string, log: string[]) {
    return budget.open(() => log.push(name));
  }

  it('counts what each connection holds, and frees it when its frame completes or it closes', () => {
    const budget = new SharedInputBudget(100);
    const log: string[] = [];
    const a = open(budget, 'a', log);
    const b = open(budget, 'b', log);
    expect(a.hold(60)).to.equal(true);
    expect(b.hold(40)).to.equal(true);
    expect(budget.used).to.equal(100);
    a.hold(0);
    expect(budget.used).to.equal(40);
    b.close();
    expect(budget.used).to.equal(0);
    expect(b.hold(10)).to.equal(true); // a closed account counts nothing more
    expect(budget.used).to.equal(0);
  });

  it('stops a connection past the limit while another reader holds bytes, and wakes every waiter, in order, once room frees', () => {
    const budget = new SharedInputBudget(100);
    const log: string[] = [];
    const reader = open(budget, 'reader', log);
    const a = open(budget, 'a', log);
    const b = open(budget, 'b', log);
    reader.hold(80);
    expect(a.hold(30)).to.equal(false);
    expect(b.hold(10)).to.equal(false);
    expect(budget.waiting).to.equal(2);
    reader.hold(75); // still over: nobody is woken
    expect(log).to.deep.equal([]);
    reader.hold(0);
    expect(log).to.deep.equal(['a', 'b']);
    expect(budget.waiting).to.equal(0);
    expect(budget.used).to.equal(40);
  });

  it('never lets every holder wait: the one that would be alone reads on past the limit until its frame completes', () => {
    const budget = new SharedInputBudget(100);
    const log: string[] = [];
    const a = open(budget, 'a', log);
    expect(a.hold(70)).to.equal(true);
    expect(a.hold(120)).to.equal(true); // nobody else holds anything: a reads on, alone
    expect(a.hold(150)).to.equal(true);
    const b = open(budget, 'b', log);
    expect(b.hold(10)).to.equal(false); // over, and a is read: b waits
    a.hold(0); // a's frame is complete: its exemption ends, and there is room again
    expect(log).to.deep.equal(['b']);
  });

  it('hands the exemption to the longest waiter when the last reader holding bytes would wait', () => {
    const budget = new SharedInputBudget(100);
    const log: string[] = [];
    const a = open(budget, 'a', log);
    const b = open(budget, 'b', log);
    a.hold(70);
    expect(b.hold(40)).to.equal(false); // a is still read: b waits
    expect(a.hold(90)).to.equal(false); // a would be alone: b, which waited longer, reads on instead, and a waits
    expect(log).to.deep.equal(['b']);
    expect(b.hold(60)).to.equal(true); // past the limit, alone
    expect(budget.used).to.equal(150);
    b.hold(0);
    expect(log).to.deep.equal(['b', 'a']); // room again (90 held): a reads
  });

  it('lets the longest waiter read on when the last reader holding bytes goes away and the total is still over', () => {
    const budget = new SharedInputBudget(100);
    const log: string[] = [];
    const reader = open(budget, 'reader', log);
    const a = open(budget, 'a', log);
    const b = open(budget, 'b', log);
    reader.hold(30);
    expect(a.hold(60)).to.equal(true);
    expect(b.hold(50)).to.equal(false);
    expect(a.hold(70)).to.equal(false);
    reader.close(); // 120 held, all by waiters
    expect(log).to.deep.equal(['b']);
    expect(b.hold(60)).to.equal(true); // b reads on alone
    expect(budget.waiting).to.equal(1);
    b.hold(0);
    expect(log).to.deep.equal(['b', 'a']);
  });

  it('defaults to 256 MiB, or a quarter of the memory high-watermark when smaller', () => {
    expect(defaultInputBufferBytes(0)).to.equal(256 * 1024 * 1024);
    expect(defaultInputBufferBytes(8 * 1024 ** 3)).to.equal(256 * 1024 * 1024);
    expect(defaultInputBufferBytes(400 * 1024 * 1024)).to.equal(100 * 1024 * 1024);
  });
});
