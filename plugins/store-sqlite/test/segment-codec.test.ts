/**
 * The layout of a segment's row (segment-codec.ts): what is encoded comes back decoded, field for
 * field, and a row cut short is refused instead of yielding garbage.
 */
import { expect } from 'chai';
import type { Message } from '@wharf/core';
import { decodeSegment, SegmentEncoder, segmentIds } from '../src/segment-codec.js';

const message = (id: string, extra: Partial<Message> = {}): Message => ({
  id, destination: '/queue/q', headers: {}, body: Buffer.from(`body of ${id}`), persistent: true, timestamp: 1_700_000_000_123, ...extra,
});

describe('sqlite store: segment layout', () => {
  it('decodes what it encoded: ids, origin, headers, body, persistence and timestamp', () => {
    const messages = [
      message('a'),
      message('b "quoted" \\ ünïcödé', { destination: '/pubsub/pärent', headers: { 'x-ü': 'välue', 'content-type': 'text/plain' } }),
      message('c', { body: new Uint8Array(0), persistent: false, timestamp: 0 }),
      message('d', { body: new Uint8Array(Buffer.alloc(200_000, 7)) }), // larger than the scratch buffer it starts with
      message('e', { body: new Uint8Array([0, 255, 10, 13, 0]).subarray(1, 4) }), // a view into a larger buffer
    ];
    const encoder = new SegmentEncoder();
    const { ids, data } = encoder.encodeMessages(messages, '/queue/q');
    const decoded = decodeSegment(segmentIds(ids), Buffer.from(data), '/queue/q');
    expect(decoded.map((m) => ({ ...m, body: Buffer.from(m.body).toString('hex') })))
      .to.deep.equal(messages.map((m) => ({ ...m, body: Buffer.from(m.body).toString('hex') })));
  });

  it('copies bodies out of the row, so that a kept message does not hold its segment', () => {
    const { ids, data } = new SegmentEncoder().encodeMessages([message('a'), message('b')], '/queue/q');
    const row = Buffer.from(data);
    const [a] = decodeSegment(segmentIds(ids), row, '/queue/q');
    row.fill(0);
    expect(Buffer.from(a!.body).toString()).to.equal('body of a');
  });

  it('reuses its scratch buffer from one segment to the next without mixing them', () => {
    const encoder = new SegmentEncoder();
    const first = encoder.encodeMessages([message('a'), message('b')], '/queue/q');
    const firstData = Buffer.from(first.data);
    const second = encoder.encodeMessages([message('c')], '/queue/q');
    expect(segmentIds(second.ids)).to.deep.equal(['c']);
    expect(decodeSegment(['c'], Buffer.from(second.data), '/queue/q')[0]!.id).to.equal('c');
    expect(decodeSegment(['a', 'b'], firstData, '/queue/q').map((m) => Buffer.from(m.body).toString())).to.deep.equal(['body of a', 'body of b']);
  });

  it('refuses data that ends before the last message or inside a body', () => {
    const { ids, data } = new SegmentEncoder().encodeMessages([message('a'), message('b')], '/queue/q');
    const list = segmentIds(ids);
    expect(() => decodeSegment(list, Buffer.from(data).subarray(0, data.length - 3), '/queue/q')).to.throw(/inside the body of message 1 of 2/);
    expect(() => decodeSegment([...list, 'c'], Buffer.from(data), '/queue/q')).to.throw(/ends before message 2 of 3/);
  });
});
