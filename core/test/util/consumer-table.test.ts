import { expect } from 'chai';
import { ConsumerTable, type TableConsumer } from '../../src/index.js';

function consumer(id: string, number: number): TableConsumer & { resumed: number } {
  const c = {
    id, number, ackMode: 'client' as const, prefetch: 0, resumed: 0,
    session: { id: 's', principal: { name: 'u', groups: [], anonymous: false }, connection: {} as never, closed: false },
    deliver: () => true, cancel: () => undefined,
    subscription: undefined as never,
  };
  (c as { subscription: unknown }).subscription = { resume: () => { c.resumed++; } };
  return c;
}

describe('ConsumerTable', () => {
  it('finds consumers by id and by the ack tokens it gives out', () => {
    const table = new ConsumerTable<ReturnType<typeof consumer>>();
    const a = consumer('a', table.nextNumber());
    const b = consumer('b', table.nextNumber());
    table.add(a);
    table.add(b);
    expect(table.size).to.equal(2);
    expect(table.get('b')).to.equal(b);
    const token = ConsumerTable.ackToken(b, 17);
    expect(table.byAckToken(token)).to.deep.equal({ consumer: b, tag: 17 });
    table.remove(b);
    expect(table.byAckToken(token)).to.equal(undefined);
    expect(table.has('b')).to.equal(false);
  });

  it('refuses tokens it never gave', () => {
    const table = new ConsumerTable<ReturnType<typeof consumer>>();
    table.add(consumer('a', table.nextNumber()));
    for (const token of ['', '-1', '1-', '1-0', '1--2', '1-1.5', '9-1', 'x-1', '1-99999999999999999999']) {
      expect(table.byAckToken(token), token).to.equal(undefined);
    }
  });

  it('resumes every subscription when the client catches up', () => {
    const table = new ConsumerTable<ReturnType<typeof consumer>>();
    const a = consumer('a', table.nextNumber());
    const b = consumer('b', table.nextNumber());
    table.add(a);
    table.add(b);
    table.resumeAll();
    expect([a.resumed, b.resumed]).to.deep.equal([1, 1]);
    table.clear();
    expect(table.size).to.equal(0);
  });
});
