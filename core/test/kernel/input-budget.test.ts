import { expect } from 'chai';
import { SharedInputBudget, defaultInputBufferBytes } from '../../src/kernel/input-budget.js';

describe('SharedInputBudget: the broker-wide budget for unfinished input frames', () => {
  it('counts what grows and shrinks, and says when the total passes the limit', () => {
    const budget = new SharedInputBudget(100);
    expect(budget.grow(60)).to.equal(true);
    expect(budget.grow(40)).to.equal(true);
    expect(budget.grow(1)).to.equal(false);
    expect(budget.used).to.equal(101);
    budget.shrink(101);
    expect(budget.used).to.equal(0);
  });

  it('wakes every waiter, in order, once the total falls under the limit', () => {
    const budget = new SharedInputBudget(100);
    budget.grow(80); // a reader that is not waiting
    budget.grow(30);
    const woken: string[] = [];
    expect(budget.waitForRoom(30, () => woken.push('a'))).to.be.a('function');
    budget.grow(10);
    expect(budget.waitForRoom(10, () => woken.push('b'))).to.be.a('function');
    expect(budget.waiting).to.equal(2);
    budget.shrink(5);
    expect(woken).to.deep.equal([]);
    budget.shrink(80);
    expect(woken).to.deep.equal(['a', 'b']);
    expect(budget.waiting).to.equal(0);
  });

  it('refuses a wait that could never end: every byte counted is held by waiters', () => {
    const alone = new SharedInputBudget(100);
    alone.grow(110);
    expect(alone.waitForRoom(110, () => {})).to.equal(undefined); // it alone holds everything
    const budget = new SharedInputBudget(100);
    budget.grow(70);
    budget.grow(40);
    const cancel = budget.waitForRoom(40, () => {}); // the 70 are still read: they can finish their frame
    expect(cancel).to.be.a('function');
    expect(budget.waitForRoom(70, () => {})).to.equal(undefined); // then only waiters would hold bytes
    cancel!();
    expect(budget.waiting).to.equal(0);
  });

  it('lets a wait asked for after room freed go on at once, after the caller has returned', async () => {
    const budget = new SharedInputBudget(100);
    let resumed = false;
    budget.waitForRoom(0, () => { resumed = true; });
    expect(resumed).to.equal(false);
    await Promise.resolve();
    expect(resumed).to.equal(true);
  });

  it('defaults to 256 MiB, or a quarter of the memory high-watermark when smaller', () => {
    expect(defaultInputBufferBytes(0)).to.equal(256 * 1024 * 1024);
    expect(defaultInputBufferBytes(8 * 1024 ** 3)).to.equal(256 * 1024 * 1024);
    expect(defaultInputBufferBytes(400 * 1024 * 1024)).to.equal(100 * 1024 * 1024);
  });
});
