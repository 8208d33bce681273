import { expect } from 'chai';
import fc from 'fast-check';
import { ByteAccumulator, SMALL_PIECE } from '../../src/codec/accumulator.js';

describe('ByteAccumulator', () => {
  it('gives back the bytes in order, whatever mix of small and large pieces', () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 30 }), (sizes) => {
      const acc = new ByteAccumulator();
      const pieces = sizes.map((n, i) => Buffer.alloc(n, i));
      for (const p of pieces) acc.add(p, 1 << 30);
      const expected = Buffer.concat(pieces);
      expect(acc.length).to.equal(expected.length);
      expect(acc.take().equals(expected)).to.equal(true);
      expect(acc.length).to.equal(0);
    }), { numRuns: 200 });
  });

  it('keeps a single large piece as a view, without copying', () => {
    const acc = new ByteAccumulator();
    const big = Buffer.alloc(SMALL_PIECE, 1);
    acc.add(big, SMALL_PIECE);
    expect(acc.take()).to.equal(big);
  });

  it('sizes the block for small pieces by the room left, so a small body is one exact buffer', () => {
    const acc = new ByteAccumulator();
    for (let i = 0; i < 10; i++) acc.add(Buffer.from([i]), 10 - i);
    const out = acc.take();
    expect([...out]).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(out.buffer.byteLength).to.equal(10);
  });

  it('never changes bytes it has handed out', () => {
    const acc = new ByteAccumulator();
    acc.add(Buffer.from('ab'), 100);
    acc.add(Buffer.alloc(SMALL_PIECE, 0x78), 100 + SMALL_PIECE);
    acc.add(Buffer.from('cd'), 100);
    const first = acc.take();
    const copy = Buffer.from(first);
    acc.add(Buffer.from('zz'), 100);
    acc.add(Buffer.from('yy'), 100);
    expect(acc.take().toString()).to.equal('zzyy');
    expect(first.equals(copy)).to.equal(true);
  });
});
