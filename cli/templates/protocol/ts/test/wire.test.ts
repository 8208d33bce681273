/** This protocol's own rules: any text and bytes survive the trip, and a line past the limit is refused. */
import { expect } from 'chai';
import { describe, it } from 'mocha';
import { LineSplitter, bodyWord, headersWord, unbody, unheaders, unword, word } from '../src/wire.js';

describe('__NAME__: the wire format', () => {
  it('carries words with spaces, headers with any text and bodies byte for byte', () => {
    const headers = { 'content-type': 'text/plain; charset=utf-8', 'x a': '1 & 2 = 3', empty: '' };
    const body = Buffer.from([0, 10, 13, 32, 255, 0x2d]);
    const line = ['MSG', word('my sub'), headersWord(headers), bodyWord(body)].join(' ');
    const lines: string[] = [];
    new LineSplitter(1024, (l) => lines.push(l)).push(Buffer.from(`${line}\n`));
    const [, id, h, b] = lines[0]!.split(' ');
    expect(unword(id)).to.equal('my sub');
    expect(unheaders(h)).to.deep.equal(headers);
    expect(unbody(b)).to.deep.equal(body);
  });

  it('refuses a line longer than its limit before it is complete', () => {
    const splitter = new LineSplitter(16, () => undefined);
    expect(() => splitter.push(Buffer.alloc(17, 0x41))).to.throw(RangeError, 'longer than 16 bytes');
  });
});
