/** The soak's verdict: which rows count as broken (the exit code), the flood's sizing, the latency quantiles. */
import { expect } from 'chai';
import { floodConnections, FD_RESERVE } from '@wharf/soak/fd-limit';
import { quantile } from '@wharf/soak/good-pair';
import type { Verdict } from '@wharf/soak/ledger';
import { brokenInvariants, table } from '@wharf/soak/report';

const clean: Verdict = { receipted: 10, deliveries: 10, lost: 0, duplicated: 0, reordered: 0, redeliveredFlagged: 0, redeliveredMisses: 0, excused: 0 };
const row = (extra: object) => ({ attack: 'crash', ran: true, falseReceipts: 0, errors: 0, peakRssBytes: 0, notes: [], ...extra });

describe('soak report', () => {
  it('finds nothing broken in a clean row or a skipped one', () => {
    expect(brokenInvariants(row({ verdict: clean }))).to.deep.equal([]);
    expect(brokenInvariants({ ...row({}), attack: 'disk-full', ran: false, skipped: 'not root' })).to.deep.equal([]);
  });

  it('names each broken ledger invariant, the false receipts and a failing good pair', () => {
    const broken = brokenInvariants(row({
      verdict: { ...clean, lost: 1, duplicated: 2, reordered: 3, redeliveredMisses: 4 },
      falseReceipts: 5,
      goodPair: { operations: 10, failed: 6, p50Ms: 1, p99Ms: 2, maxMs: 3, failures: ['SEND: timeout'] },
      broken: ['the broker did not start on the full disk'],
    }));
    expect(broken).to.have.length(7);
    expect(broken.join('\n')).to.match(/1 receipted messages lost/).and.match(/SEND: timeout/).and.match(/4 redeliveries/);
  });

  it('counts a disk-full loss once, as false receipts', () => {
    const broken = brokenInvariants(row({ attack: 'disk-full', verdict: { ...clean, lost: 2 }, falseReceipts: 2 }));
    expect(broken).to.deep.equal(['2 false receipts (receipted, then lost)']);
  });

  it('prints a row per result with its verdict, and the broken invariants below the table', () => {
    const text = table([row({ verdict: clean }), row({ attack: 'flood', phase: 'attack', goodPair: { operations: 4, failed: 1, p50Ms: 1, p99Ms: 9, maxMs: 9, failures: ['x'] } })]);
    expect(text).to.match(/\| crash +\|.*\| held +\|/);
    expect(text).to.match(/\| flood:attack +\|.*\| 1\/4 +\| BROKEN +\|/);
    expect(text).to.contain('flood:attack: BROKEN: the good pair failed 1 of 4 operations (x)');
  });

  it('sizes the flood within the descriptor limit, keeping a reserve', () => {
    expect(floodConnections(10000, 20000)).to.equal(10000);
    expect(floodConnections(10000, 4096)).to.equal(4096 - FD_RESERVE);
    expect(floodConnections(10000, 500)).to.equal(0);
    expect(floodConnections(10000, undefined)).to.equal(10000);
  });

  it('takes quantiles by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(quantile(sorted, 0.5)).to.equal(50);
    expect(quantile(sorted, 0.99)).to.equal(99);
    expect(quantile([7], 0.99)).to.equal(7);
    expect(quantile([], 0.5)).to.equal(0);
  });
});
