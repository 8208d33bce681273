/** The rule at start after an unclean stop (crash-flags.ts): which restored messages are flagged redelivered. */
import { expect } from 'chai';
import type { Message, StoredMessage } from '../../src/index.js';
import { flagRestored, readHorizon, writeHorizon, type HorizonRecord } from '../../src/mqm/crash-flags.js';

const stored = (id: string, deliveryCount = 0): StoredMessage => ({
  message: { id, destination: '/queue/q', headers: {}, body: new Uint8Array(0), persistent: true, timestamp: 0 } satisfies Message,
  deliveryCount,
});
const RUN = 'runB';
/** Restored by run B from an earlier run (o1..o4), then minted by B (runB-1..runB-5). */
const list = (): StoredMessage[] => [
  stored('o1'), stored('o2', 2), stored('o3'), stored('o4'),
  ...[1, 2, 3, 4, 5].map((n) => stored(`${RUN}-${n}`)),
];
const flags = (messages: StoredMessage[]): number[] => messages.map((s) => s.deliveryCount);

describe('crash flags at start (crash-flags.ts)', () => {
  it('flags the ids of the horizon\'s run up to upTo and the other runs\' ids before `before`, and only those with no count', () => {
    const horizon: HorizonRecord = { run: RUN, upTo: `${RUN}-3`, before: 'o4' };
    const { messages, raised } = flagRestored(list(), horizon);
    expect(flags(messages)).to.deep.equal([1, 2, 1, 0, 1, 1, 1, 0, 0]);
    expect(raised, 'the ids whose count went from 0 to 1 (written as delivery marks)').to.deep.equal(['o1', 'o3', `${RUN}-1`, `${RUN}-2`, `${RUN}-3`]);
  });

  it('covers every id of other runs when `before` is null or no longer there (err towards the flag)', () => {
    expect(flags(flagRestored(list(), { run: RUN, upTo: '', before: null }).messages)).to.deep.equal([1, 2, 1, 1, 0, 0, 0, 0, 0]);
    expect(flags(flagRestored(list(), { run: RUN, upTo: '', before: 'acked-meanwhile' }).messages)).to.deep.equal([1, 2, 1, 1, 0, 0, 0, 0, 0]);
  });

  it('flags everything for "all" (no recovery record, or one it cannot read) and nothing without a horizon', () => {
    expect(flags(flagRestored(list(), 'all').messages)).to.deep.equal([1, 2, 1, 1, 1, 1, 1, 1, 1]);
    expect(flags(flagRestored(list(), undefined).messages)).to.deep.equal([0, 2, 0, 0, 0, 0, 0, 0, 0]);
    expect(readHorizon('not json'), 'unreadable: the caller covers all').to.equal(undefined);
    expect(readHorizon('{"run":1}')).to.equal(undefined);
    const record: HorizonRecord = { run: RUN, upTo: `${RUN}-9`, before: null };
    expect(readHorizon(writeHorizon(record))).to.deep.equal(record);
  });
});
