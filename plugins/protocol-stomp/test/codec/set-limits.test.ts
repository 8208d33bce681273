import { expect } from 'chai';
import { StompCodecError } from '../../src/codec/index.js';
import { harness } from './helpers.js';

describe('FrameParser.setLimits: small limits before login, the listener\'s after (issue 15 item 2)', () => {
  it('refuses a content-length over a body limit of 0, then accepts a body once the limits are switched', () => {
    const h = harness({ maxBodyBytes: 0, maxFrameBytes: 4096 });
    h.push('CONNECT\naccept-version:1.2\n\n\0');
    h.parser.setLimits({ maxBodyBytes: 1024 * 1024, maxHeaders: 64, maxHeaderLineBytes: 8192 });
    h.push(`SEND\ndestination:/queue/a\ncontent-length:10000\n\n${'x'.repeat(10000)}\0`);
    expect(h.frames().map((f) => [f.command, f.body.length])).to.deep.equal([['CONNECT', 0], ['SEND', 10000]]);
  });

  it('bounds a frame whose header line is still unfinished by maxFrameBytes, not only by the line limit', () => {
    const h = harness({ maxBodyBytes: 0, maxFrameBytes: 2048, maxHeaderLineBytes: 8192 });
    h.push('CONNECT\n');
    expect(() => h.push(`x:${'y'.repeat(2100)}`)).to.throw(StompCodecError).with.property('limit', 'maxFrameBytes');
  });

  it('refuses body bytes without content-length under a body limit of 0, naming maxBodyBytes', () => {
    const h = harness({ maxBodyBytes: 0, maxFrameBytes: 4096 });
    expect(() => h.push('CONNECT\n\nx')).to.throw(StompCodecError).with.property('limit', 'maxBodyBytes');
  });

  it('applies the new limits to the rest of a frame begun under the old ones', () => {
    const h = harness({ maxBodyBytes: 0, maxFrameBytes: 4096 });
    h.push('SEND\ndestination:/queue/a\n');
    h.parser.setLimits({ maxBodyBytes: 100, maxHeaders: 64, maxHeaderLineBytes: 8192 });
    h.push(`content-length:50\n\n${'z'.repeat(50)}\0`);
    expect(h.frames()[0]!.body.length).to.equal(50);
  });

  it('reports the unfinished frame read so far as `partial`, for an ERROR\'s receipt-id', () => {
    const h = harness();
    expect(h.parser.partial).to.equal(undefined);
    h.push('SEND\nreceipt:r1\ncontent-length:10\n\nabc');
    expect(h.parser.partial).to.deep.equal({ command: 'SEND', headers: [['receipt', 'r1'], ['content-length', '10']] });
    h.push('defghij\0');
    expect(h.parser.partial).to.equal(undefined);
  });
});
