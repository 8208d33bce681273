/** The soak's invariant checker: each broken promise is counted, and nothing else is. */
import { expect } from 'chai';
import { Ledger, messageBody, parseBody } from '@wharf/soak/ledger';

function ledgerWith(...producers: Array<[string, boolean]>): Ledger {
  const ledger = new Ledger();
  for (const [name, durable] of producers) ledger.producer(name, durable);
  return ledger;
}

describe('soak ledger', () => {
  it('finds nothing wrong in a clean run: every receipted message delivered once, in order, acknowledged', () => {
    const ledger = ledgerWith(['p', true]);
    const epoch = ledger.newEpoch();
    for (let seq = 0; seq < 5; seq++) {
      ledger.receipted('p', seq);
      ledger.delivered('p', seq, epoch, false);
      ledger.ackConfirmed('p', seq);
    }
    expect(ledger.verdict()).to.deep.equal({
      receipted: 5, deliveries: 5, lost: 0, duplicated: 0, reordered: 0, redeliveredFlagged: 0, redeliveredMisses: 0, excused: 0,
    });
  });

  it('counts a receipted message never delivered as lost, and an unreceipted one not at all', () => {
    const ledger = ledgerWith(['p', true]);
    const epoch = ledger.newEpoch();
    ledger.receipted('p', 0);
    ledger.receipted('p', 1);
    ledger.delivered('p', 0, epoch, false);
    ledger.delivered('p', 2, epoch, false); // sent, its RECEIPT lost in a crash: delivered anyway, fine
    expect(ledger.verdict().lost).to.equal(1);
  });

  it('counts a delivery after the ACK was confirmed as duplicated, but not one after an ACK that was only sent', () => {
    const ledger = ledgerWith(['p', true]);
    const first = ledger.newEpoch();
    ledger.receipted('p', 0);
    ledger.receipted('p', 1);
    ledger.delivered('p', 0, first, false);
    ledger.delivered('p', 1, first, false);
    ledger.ackConfirmed('p', 0);
    // seq 1's ACK was written but the broker died before its RECEIPT: a redelivery is the promise.
    const second = ledger.newEpoch();
    ledger.delivered('p', 0, second, true);
    ledger.delivered('p', 1, second, true);
    const verdict = ledger.verdict();
    expect(verdict.duplicated).to.equal(1);
    expect(verdict.redeliveredMisses).to.equal(0);
  });

  it('counts a second delivery in the same epoch as duplicated', () => {
    const ledger = ledgerWith(['p', true]);
    const epoch = ledger.newEpoch();
    ledger.receipted('p', 0);
    ledger.delivered('p', 0, epoch, false);
    ledger.delivered('p', 0, epoch, true);
    expect(ledger.verdict().duplicated).to.equal(1);
  });

  it('counts a lower sequence number after a higher one from the same producer in one epoch as reordered', () => {
    const ledger = ledgerWith(['a', true], ['b', true]);
    const epoch = ledger.newEpoch();
    for (const seq of [0, 2, 1, 3]) ledger.delivered('a', seq, epoch, false);
    // Another producer's numbers interleave freely; so does a new epoch starting again from the backlog.
    ledger.delivered('b', 0, epoch, false);
    const next = ledger.newEpoch();
    ledger.delivered('a', 1, next, true);
    ledger.delivered('a', 4, next, false);
    expect(ledger.verdict().reordered).to.equal(1);
  });

  it('counts a redelivery in a later epoch without redelivered:true as a flag miss, and counts the flags', () => {
    const ledger = ledgerWith(['p', true]);
    const first = ledger.newEpoch();
    for (const seq of [0, 1, 2]) ledger.delivered('p', seq, first, false);
    const second = ledger.newEpoch();
    ledger.delivered('p', 0, second, true);
    ledger.delivered('p', 1, second, false);
    // Never delivered before, flagged anyway: erring towards the flag is allowed.
    ledger.delivered('p', 3, second, true);
    const verdict = ledger.verdict();
    expect(verdict.redeliveredMisses).to.equal(1);
    expect(verdict.redeliveredFlagged).to.equal(2);
  });

  it('excuses undelivered non-durable messages when the broker stops, but never durable ones', () => {
    const ledger = ledgerWith(['plain', false], ['durable', true]);
    ledger.receipted('plain', 0);
    ledger.receipted('durable', 0);
    ledger.brokerStopped();
    // Receipted after the restart: must be delivered again.
    ledger.receipted('plain', 1);
    const verdict = ledger.verdict();
    expect(verdict.excused).to.equal(1);
    expect(verdict.lost).to.equal(2);
  });

  it('refuses events for an undeclared producer', () => {
    expect(() => new Ledger().receipted('nobody', 0)).to.throw(/no producer "nobody"/);
  });

  it('writes bodies that parse back to their producer and sequence number, padded to the size asked', () => {
    const body = messageBody('crash-a', 42, 64);
    expect(body).to.have.length(64);
    expect(parseBody(body)).to.deep.equal({ producer: 'crash-a', seq: 42 });
    expect(parseBody('not a soak message')).to.equal(undefined);
  });
});
