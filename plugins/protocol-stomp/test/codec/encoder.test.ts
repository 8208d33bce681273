import { expect } from 'chai';
import {
  encodeFrame,
  encodeMessage,
  encodeMessageHead,
  escapeHeader,
  HEARTBEAT,
  MESSAGE_COPY_THRESHOLD,
  NUL_BYTE,
  unescapeHeader,
} from '../../src/codec/index.js';
import { harness, plain } from './helpers.js';

const text = (b: Buffer): string => b.toString('latin1');

describe('encodeFrame', () => {
  it('writes command, headers, blank line, body and NUL, adding content-length for 1.1+', () => {
    expect(text(encodeFrame('SEND', [['destination', '/queue/a']], Buffer.from('hi'), '1.2')))
      .to.equal('SEND\ndestination:/queue/a\ncontent-length:2\n\nhi\0');
    expect(text(encodeFrame('SEND', { destination: '/queue/a' }, Buffer.from('hi'), '1.1')))
      .to.equal('SEND\ndestination:/queue/a\ncontent-length:2\n\nhi\0');
  });

  it('adds no content-length without a body', () => {
    expect(text(encodeFrame('RECEIPT', { 'receipt-id': '7' }, undefined, '1.2'))).to.equal('RECEIPT\nreceipt-id:7\n\n\0');
  });

  it('1.0 adds content-length only when the body holds a NUL (STOMP 1.2 §Header content-length)', () => {
    expect(text(encodeFrame('MESSAGE', { a: 'b' }, Buffer.from('xy'), '1.0'))).to.equal('MESSAGE\na:b\n\nxy\0');
    expect(text(encodeFrame('MESSAGE', { a: 'b' }, Buffer.from([1, 0, 2]), '1.0'))).to.equal('MESSAGE\na:b\ncontent-length:3\n\n\x01\0\x02\0');
  });

  it('keeps a caller\'s content-length instead of adding another, and refuses a wrong one', () => {
    expect(text(encodeFrame('SEND', [['content-length', '2'], ['a', 'b']], Buffer.from('hi'), '1.2')))
      .to.equal('SEND\ncontent-length:2\na:b\n\nhi\0');
    expect(() => encodeFrame('SEND', [['content-length', '3']], Buffer.from('hi'), '1.2')).to.throw(/content-length/);
  });

  it('accepts any Uint8Array as the body', () => {
    const frame = encodeFrame('SEND', [], new Uint8Array([0, 255]), '1.2');
    expect([...frame]).to.deep.equal([...Buffer.from('SEND\ncontent-length:2\n\n'), 0, 255, 0]);
  });

  it('escapes names and values per version (STOMP 1.2 §Value Encoding)', () => {
    const headers: Array<[string, string]> = [['a:b', 'x\ny:z\\w\rv']];
    expect(text(encodeFrame('ERROR', headers, undefined, '1.2'))).to.equal('ERROR\na\\cb:x\\ny\\cz\\\\w\\rv\n\n\0');
    expect(text(encodeFrame('ERROR', headers, undefined, '1.1'))).to.equal('ERROR\na\\cb:x\\ny\\cz\\\\w\rv\n\n\0');
  });

  it('does not escape CONNECT, STOMP or CONNECTED frames', () => {
    for (const command of ['CONNECT', 'STOMP', 'CONNECTED']) {
      expect(text(encodeFrame(command, { passcode: 'a:b\\c' }, undefined, '1.2'))).to.equal(`${command}\npasscode:a:b\\c\n\n\0`);
    }
  });

  it('throws a plain Error for what a version cannot carry', () => {
    expect(() => encodeFrame('MESSAGE', { a: 'x\ny' }, undefined, '1.0')).to.throw(Error, /line feed/);
    expect(() => encodeFrame('CONNECTED', { a: 'x\ny' }, undefined, '1.2')).to.throw(Error, /line feed/);
    expect(() => encodeFrame('MESSAGE', { 'a:b': 'x' }, undefined, '1.0')).to.throw(Error, /colon/);
    expect(() => encodeFrame('MESSAGE', { a: 'x\r' }, undefined, '1.0')).to.throw(Error, /carriage return/);
    expect(() => encodeFrame('MESSAGE', { a: 'x\r' }, undefined, '1.1')).to.throw(Error, /carriage return/);
    expect(() => encodeFrame('MESSAGE', { '': 'x' }, undefined, '1.2')).to.throw(Error, /empty/);
    expect(() => encodeFrame('', {}, undefined, '1.2')).to.throw(Error, /empty/);
    expect(() => encodeFrame('SE\nND', {}, undefined, '1.2')).to.throw(Error, /printable/);
  });

  it('HEARTBEAT is one LF', () => {
    expect(text(HEARTBEAT)).to.equal('\n');
  });
});

describe('header escaping', () => {
  it('round-trips the special characters in each escaping mode', () => {
    const s = 'a:b\nc\\d\re';
    expect(unescapeHeader(escapeHeader(s, 2, false), true)).to.equal(s);
    expect(unescapeHeader(escapeHeader(s, 1, false), false)).to.equal(s);
    expect(escapeHeader(s.replace('\n', ''), 0, false)).to.equal(s.replace('\n', ''));
  });

  it('returns the very same string when nothing needs escaping', () => {
    const s = '/queue/orders.eu-west';
    expect(escapeHeader(s, 2, false)).to.equal(s);
    expect(unescapeHeader(s, true)).to.equal(s);
  });

  it('reports an undefined escape as undefined', () => {
    expect(unescapeHeader('a\\tb', true)).to.equal(undefined);
    expect(unescapeHeader('a\\rb', false)).to.equal(undefined);
    expect(unescapeHeader('ab\\', true)).to.equal(undefined);
  });
});

describe('encodeMessageHead', () => {
  it('writes the MESSAGE head up to the blank line, with content-length last', () => {
    const head = encodeMessageHead('1.2', '/queue/a', 'm-1', 'sub-0', '0-5', [['redelivered', 'true']], { 'content-type': 'text/plain', x: 'y' }, 42);
    expect(text(head)).to.equal(
      'MESSAGE\ndestination:/queue/a\nmessage-id:m-1\nsubscription:sub-0\nack:0-5\nredelivered:true\n'
      + 'content-type:text/plain\nx:y\ncontent-length:42\n\n',
    );
  });

  it('omits ack when not given', () => {
    expect(text(encodeMessageHead('1.1', '/q', 'm', 's', undefined, [], {}, 0)))
      .to.equal('MESSAGE\ndestination:/q\nmessage-id:m\nsubscription:s\ncontent-length:0\n\n');
  });

  it('escapes per version, only where needed', () => {
    const head = encodeMessageHead('1.2', '/q:1', 'm\n', 's', undefined, [], { 'k:\\': 'v\r' }, 0);
    expect(text(head)).to.equal('MESSAGE\ndestination:/q\\c1\nmessage-id:m\\n\nsubscription:s\nk\\c\\\\:v\\r\ncontent-length:0\n\n');
    expect(text(encodeMessageHead('1.0', '/q:1', 'm', 's', undefined, [], { k: 'a\\b' }, 0)))
      .to.equal('MESSAGE\ndestination:/q:1\nmessage-id:m\nsubscription:s\nk:a\\b\ncontent-length:0\n\n');
  });

  it('leaves out sender headers that would repeat the broker\'s own', () => {
    const user = { destination: 'x', 'message-id': 'x', subscription: 'x', 'content-length': '9', ack: 'x', redelivered: 'x', keep: 'me' };
    expect(text(encodeMessageHead('1.2', '/q', 'm', 's', 'a', [['redelivered', 'true']], user, 1)))
      .to.equal('MESSAGE\ndestination:/q\nmessage-id:m\nsubscription:s\nack:a\nredelivered:true\nkeep:me\ncontent-length:1\n\n');
  });

  it('throws a plain Error for a LF in a STOMP 1.0 value', () => {
    expect(() => encodeMessageHead('1.0', '/q', 'm', 's', undefined, [], { k: 'a\nb' }, 0)).to.throw(Error, /line feed/);
  });
});

describe('encodeMessage', () => {
  it('returns one Buffer, head + body + NUL, for a small body', () => {
    const body = Buffer.from([1, 0, 2]);
    const out = encodeMessage('1.2', '/q', 'm', 's', undefined, [], {}, body);
    expect(Buffer.isBuffer(out)).to.equal(true);
    const head = encodeMessageHead('1.2', '/q', 'm', 's', undefined, [], {}, 3);
    expect((out as Buffer).equals(Buffer.concat([head, body, NUL_BYTE]))).to.equal(true);
  });

  it('returns [head, body, NUL] without copying a large body', () => {
    const body = new Uint8Array(MESSAGE_COPY_THRESHOLD + 1).fill(7);
    const out = encodeMessage('1.2', '/q', 'm', 's', 'a', [], { t: 'x' }, body);
    expect(Array.isArray(out)).to.equal(true);
    const [head, view, nul] = out as [Buffer, Buffer, Buffer];
    expect(view.buffer).to.equal(body.buffer);
    expect(view.length).to.equal(body.length);
    expect(text(nul)).to.equal('\0');
    expect(head.equals(encodeMessageHead('1.2', '/q', 'm', 's', 'a', [], { t: 'x' }, body.length))).to.equal(true);
  });

  it('parses back to the same MESSAGE frame, both ways', () => {
    for (const size of [5, MESSAGE_COPY_THRESHOLD]) {
      const body = Buffer.alloc(size, 0);
      const out = encodeMessage('1.2', '/q', 'm', 's', undefined, [], { 'a:b': 'c' }, body);
      const h = harness({}, '1.2');
      for (const b of Array.isArray(out) ? out : [out]) h.push(b);
      expect(h.frames().map(plain)).to.deep.equal([{
        command: 'MESSAGE',
        headers: [['destination', '/q'], ['message-id', 'm'], ['subscription', 's'], ['a:b', 'c'], ['content-length', String(size)]],
        body: body.toString('hex'),
      }]);
    }
  });
});
