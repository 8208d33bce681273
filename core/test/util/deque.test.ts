import { expect } from 'chai';
import { describe, it } from 'mocha';
import fc from 'fast-check';
import { Deque } from '../../src/util/deque.js';

type Op = { op: 'push' | 'unshift'; value: number } | { op: 'shift' | 'pop' | 'peek' | 'clear' };

describe('Deque', () => {
  it('behaves like an array under any sequence of operations', () => {
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ op: fc.constantFrom('push' as const, 'unshift' as const), value: fc.integer() }),
      fc.record({ op: fc.constantFrom('shift' as const, 'pop' as const, 'peek' as const) }),
      fc.record({ op: fc.constant('clear' as const) }).filter(() => Math.random() < 0.05),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const deque = new Deque<number>();
        const model: number[] = [];
        for (const o of ops) {
          switch (o.op) {
            case 'push': deque.push(o.value); model.push(o.value); break;
            case 'unshift': deque.unshift(o.value); model.unshift(o.value); break;
            case 'shift': expect(deque.shift()).to.equal(model.shift()); break;
            case 'pop': expect(deque.pop()).to.equal(model.pop()); break;
            case 'peek': expect(deque.peek()).to.equal(model[0]); break;
            case 'clear': deque.clear(); model.length = 0; break;
          }
          expect(deque.length).to.equal(model.length);
        }
        expect([...deque]).to.deep.equal(model);
        model.forEach((v, i) => expect(deque.at(i)).to.equal(v));
      }),
      { numRuns: 300 },
    );
  });

  it('grows past its initial capacity and shrinks back as it drains, keeping order across the wrap', () => {
    const deque = new Deque<number>(4);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100_000; i++) deque.push(i);
      let inOrder = true;
      for (let i = 0; i < 100_000; i++) if (deque.shift() !== i) inOrder = false;
      expect(inOrder).to.equal(true);
      expect(deque.length).to.equal(0);
      expect(deque.shift()).to.equal(undefined);
    }
  });
});
