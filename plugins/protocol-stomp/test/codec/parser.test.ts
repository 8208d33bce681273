import { expect } from 'chai';
import { FrameParser, StompCodecError, type Frame } from '../../src/codec/index.js';
import { bytewise, harness, LIMITS, plain } from './helpers.js';

/** Runs `fn` and returns the StompCodecError it throws. */
function codecError(fn: () => void): StompCodecError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(StompCodecError);
    return err as StompCodecError;
  }
  expect.fail('expected a StompCodecError');
}

describe('FrameParser', () => {
  describe('framing (STOMP 1.2 §Augmented BNF)', () => {
    it('parses a command, headers and a body ending at NUL', () => {
      const h = harness();
      h.push('SEND\ndestination:/queue/a\ncontent-type:text/plain\n\nhello\0');
      expect(h.frames().map(plain)).to.deep.equal([
        { command: 'SEND', headers: [['destination', '/queue/a'], ['content-type', 'text/plain']], body: Buffer.from('hello').toString('hex') },
      ]);
      expect(h.parser.buffered).to.equal(0);
    });

    it('parses a frame with no headers and an empty body', () => {
      const h = harness();
      h.push('DISCONNECT\n\n\0');
      expect(h.frames()).to.have.length(1);
      expect(h.frames()[0]!.headers).to.deep.equal([]);
      expect(h.frames()[0]!.body.length).to.equal(0);
    });

    it('accepts CRLF line ends on the command, header and blank lines, for every version', () => {
      for (const version of ['1.0', '1.1', '1.2'] as const) {
        const h = harness({}, version);
        h.push('SEND\r\ndestination:/queue/a\r\nx:y\r\n\r\nbody\0');
        expect(h.frames().map(plain), version).to.deep.equal([
          { command: 'SEND', headers: [['destination', '/queue/a'], ['x', 'y']], body: Buffer.from('body').toString('hex') },
        ]);
      }
    });

    it('mixes LF and CRLF line ends in one frame', () => {
      const h = harness();
      h.push('SEND\r\na:1\nb:2\r\n\nx\0');
      expect(h.frames()[0]!.headers).to.deep.equal([['a', '1'], ['b', '2']]);
    });

    it('calls onHeartbeat for each EOL (LF or CRLF) between frames, before the first and after the last', () => {
      const h = harness();
      h.push('\n\r\nSEND\n\n\0\n\n\r\nSEND\n\n\0\r\n');
      expect(h.events.map((e) => (e === 'HB' ? 'HB' : e.command))).to.deep.equal(['HB', 'HB', 'SEND', 'HB', 'HB', 'HB', 'SEND', 'HB']);
    });

    it('recognises a CRLF heart-beat split between chunks', () => {
      const h = harness();
      h.push('\r');
      expect(h.heartbeats()).to.equal(0);
      h.push('\n');
      expect(h.heartbeats()).to.equal(1);
    });

    it('works without an onHeartbeat callback', () => {
      const frames: Frame[] = [];
      const parser = new FrameParser(LIMITS, (f) => frames.push(f));
      parser.push(Buffer.from('\n\nSEND\n\n\0\n'));
      expect(frames).to.have.length(1);
    });

    it('parses several frames from one chunk', () => {
      const h = harness();
      h.push('SEND\na:1\n\none\0SEND\na:2\n\ntwo\0SEND\na:3\n\nthree\0');
      expect(h.frames().map((f) => f.body.toString())).to.deep.equal(['one', 'two', 'three']);
    });

    it('gives identical frames when the stream arrives one byte at a time', () => {
      const stream = Buffer.from('\r\nCONNECT\naccept-version:1.2\nhost:h\n\n\0\nSEND\r\nd\\c:x\\ny\ncontent-length:3\r\n\r\n\0\0\0\0SEND\n\u00e9:\u20ac\n\nbody\0\n');
      const whole = harness();
      whole.push(stream);
      const bytes = harness();
      for (const b of bytewise(stream)) bytes.push(b);
      expect(bytes.events.map((e) => (e === 'HB' ? e : plain(e)))).to.deep.equal(whole.events.map((e) => (e === 'HB' ? e : plain(e))));
      expect(whole.frames()).to.have.length(3);
    });

    it('decodes header text as UTF-8, also when a character is split between chunks', () => {
      const h = harness();
      const bytes = Buffer.from('SEND\nn\u00e9:\u20ac\u{1F600}\n\n\0');
      h.push(bytes.subarray(0, 7));
      h.push(bytes.subarray(7, 12));
      h.push(bytes.subarray(12));
      expect(h.frames()[0]!.headers).to.deep.equal([['n\u00e9', '\u20ac\u{1F600}']]);
    });

    it('refuses a command line with non-printable octets', () => {
      expect(codecError(() => harness().push('SE\tND\n\n\0')).code).to.equal('syntax');
      expect(codecError(() => harness().push('\0\n')).code).to.equal('syntax');
      expect(codecError(() => harness().push('S\u00c9ND\n\n\0')).code).to.equal('syntax');
    });

    it('leaves unknown but printable commands to the session', () => {
      const h = harness();
      h.push('FROB\n\n\0');
      expect(h.frames()[0]!.command).to.equal('FROB');
    });
  });

  describe('headers', () => {
    it('keeps repeated headers, in wire order (STOMP 1.2 §Repeated Header Entries)', () => {
      const h = harness();
      h.push('SEND\nfoo:1\nbar:x\nfoo:2\nfoo:3\n\n\0');
      expect(h.frames()[0]!.headers).to.deep.equal([['foo', '1'], ['bar', 'x'], ['foo', '2'], ['foo', '3']]);
    });

    it('splits a header line at the first colon', () => {
      for (const version of ['1.0', '1.1', '1.2'] as const) {
        const h = harness({}, version);
        h.push('SEND\nurl:http://x:80/y\nempty:\n\n\0');
        expect(h.frames()[0]!.headers, version).to.deep.equal([['url', 'http://x:80/y'], ['empty', '']]);
      }
    });

    it('refuses a header line without a colon', () => {
      const err = codecError(() => harness().push('SEND\ndestination\n\n\0'));
      expect(err.code).to.equal('syntax');
      expect(err.limit).to.equal(undefined);
    });

    it('refuses a header with an empty name', () => {
      expect(codecError(() => harness().push('SEND\n:value\n\n\0')).code).to.equal('syntax');
    });
  });

  describe('UTF-8 (STOMP 1.2 §Value Encoding: headers are UTF-8)', () => {
    /** `SEND` with one header line made of `name`, `:` and `value`, raw bytes allowed. */
    function sendWith(name: Buffer | string, value: Buffer | string, command = 'SEND'): Buffer {
      return Buffer.concat([Buffer.from(`${command}\n`), Buffer.from(name), Buffer.from(':'), Buffer.from(value), Buffer.from('\n\n\0')]);
    }

    it('refuses a destination with a byte that is not UTF-8, naming the header, for every version and command', () => {
      for (const version of ['1.0', '1.1', '1.2'] as const) {
        for (const command of ['SEND', 'SUBSCRIBE', 'CONNECT']) {
          const err = codecError(() => harness({}, version).push(sendWith('destination', Buffer.from([...Buffer.from('/queue/home.bob.'), 0xff]), command)));
          expect(err.code, `${version} ${command}`).to.equal('encoding');
          expect(err.message).to.match(/^the value of the header "destination" is not valid UTF-8/);
          expect(err.frame?.command).to.equal(command);
        }
      }
    });

    it('refuses overlong forms, encoded surrogates, truncated sequences and stray continuation bytes', () => {
      const bad = [
        [0xc0, 0xaf], // overlong '/'
        [0xed, 0xa0, 0x80], // U+D800, a surrogate
        [0xe2, 0x82], // € cut short
        [0x80], // continuation byte alone
        [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      ];
      for (const bytes of bad) {
        const err = codecError(() => harness().push(sendWith('x-h', Buffer.from([0x61, ...bytes, 0x62]))));
        expect(err.code, Buffer.from(bytes).toString('hex')).to.equal('encoding');
      }
    });

    it('says so when the header name is the part that is not UTF-8', () => {
      const err = codecError(() => harness().push(sendWith(Buffer.from([0x78, 0xfe]), 'v')));
      expect(err.code).to.equal('encoding');
      expect(err.message).to.match(/^a header name is not valid UTF-8/);
    });

    it('refuses a bad byte in a line that spans chunks, and one fed byte by byte', () => {
      const bytes = sendWith('destination', Buffer.from([0x2f, 0x71, 0xfe, 0x2f]));
      const h = harness();
      expect(codecError(() => { for (const c of bytewise(bytes)) h.push(c); }).code).to.equal('encoding');
      const h2 = harness();
      h2.push(bytes.subarray(0, 8));
      expect(codecError(() => h2.push(bytes.subarray(8))).code).to.equal('encoding');
    });

    it('keeps parsing a frame whose headers are valid UTF-8 after a CR before the LF', () => {
      const h = harness();
      h.push(Buffer.from('SEND\r\ndestination:/queue/caf\u00e9\r\n\r\n\0'));
      expect(h.frames()[0]!.headers).to.deep.equal([['destination', '/queue/caf\u00e9']]);
    });

    it('does not look at the body: any bytes may travel there', () => {
      const h = harness();
      h.push(Buffer.concat([Buffer.from('SEND\ncontent-length:2\n\n'), Buffer.from([0xff, 0xfe, 0])]));
      expect(h.frames()[0]!.body).to.deep.equal(Buffer.from([0xff, 0xfe]));
    });
  });

  describe('escaping (STOMP 1.2 §Value Encoding)', () => {
    it('1.2 unescapes \\r \\n \\c \\\\ in names and values', () => {
      const h = harness({}, '1.2');
      h.push('SEND\na\\cb\\\\:1\\r2\\n3\\c4\\\\5\\\\n\n\n\0');
      expect(h.frames()[0]!.headers).to.deep.equal([['a:b\\', '1\r2\n3:4\\5\\n']]);
    });

    it('1.1 unescapes \\n \\c \\\\ and refuses \\r', () => {
      const h = harness({}, '1.1');
      h.push('SEND\na\\cb:1\\n2\\c3\\\\4\n\n\0');
      expect(h.frames()[0]!.headers).to.deep.equal([['a:b', '1\n2:3\\4']]);
      const err = codecError(() => harness({}, '1.1').push('SEND\na:1\\r2\n\n\0'));
      expect(err.code).to.equal('escape');
    });

    it('refuses an undefined escape such as \\t', () => {
      for (const version of ['1.1', '1.2'] as const) {
        const err = codecError(() => harness({}, version).push('SEND\na:x\\ty\n\n\0'));
        expect(err.code, version).to.equal('escape');
      }
      expect(codecError(() => harness().push('SEND\na\\t:x\n\n\0')).code).to.equal('escape');
    });

    it('refuses a trailing lone backslash', () => {
      expect(codecError(() => harness().push('SEND\na:x\\\n\n\0')).code).to.equal('escape');
      expect(codecError(() => harness().push('SEND\na:x\\\r\n\n\0')).code).to.equal('escape');
    });

    it('1.0 does not unescape at all', () => {
      const h = harness({}, '1.0');
      h.push('SEND\na\\c:x\\ty\\n\\\n\n\0');
      expect(h.frames()[0]!.headers).to.deep.equal([['a\\c', 'x\\ty\\n\\']]);
    });

    it('never unescapes CONNECT, STOMP or CONNECTED frames, whatever the version', () => {
      for (const command of ['CONNECT', 'STOMP', 'CONNECTED']) {
        const h = harness({}, '1.2');
        h.push(`${command}\nlogin:a\\tb\npasscode:p:q\\\n\n\0`);
        expect(h.frames()[0]!.headers, command).to.deep.equal([['login', 'a\\tb'], ['passcode', 'p:q\\']]);
      }
    });

    it('1.2 refuses a raw carriage return inside a header line', () => {
      expect(codecError(() => harness({}, '1.2').push('SEND\na:x\ry\n\n\0')).code).to.equal('syntax');
      expect(codecError(() => harness({}, '1.2').push('SEND\na:x\r\r\n\n\0')).code).to.equal('syntax');
    });

    it('1.0 and 1.1 keep a raw carriage return inside a value', () => {
      for (const version of ['1.0', '1.1'] as const) {
        const h = harness({}, version);
        h.push('SEND\na:x\ry\r\n\n\0');
        expect(h.frames()[0]!.headers, version).to.deep.equal([['a', 'x\ry']]);
      }
    });

    it('applies a version set from inside onFrame to the next frame of the same chunk', () => {
      const frames: Frame[] = [];
      const parser = new FrameParser(LIMITS, (f) => {
        frames.push(f);
        if (f.command === 'CONNECT') parser.version = '1.2';
      });
      parser.push(Buffer.from('CONNECT\naccept-version:1.2\n\n\0SEND\na:x\\cy\n\n\0'));
      expect(frames.map((f) => f.headers)).to.deep.equal([[['accept-version', '1.2']], [['a', 'x:y']]]);
    });
  });

  describe('bodies', () => {
    it('reads exactly content-length bytes, NUL octets included (STOMP 1.2 §Header content-length)', () => {
      const h = harness();
      h.push(Buffer.concat([Buffer.from('SEND\ncontent-length:5\n\n'), Buffer.from([0, 1, 0, 0, 2]), Buffer.from([0])]));
      expect([...h.frames()[0]!.body]).to.deep.equal([0, 1, 0, 0, 2]);
    });

    it('accepts content-length 0', () => {
      const h = harness();
      h.push('SEND\ncontent-length:0\n\n\0SEND\n\n\0');
      expect(h.frames().map((f) => f.body.length)).to.deep.equal([0, 0]);
    });

    it('uses the first content-length when it is repeated', () => {
      const h = harness();
      h.push('SEND\ncontent-length:2\ncontent-length:9\n\nab\0');
      expect(h.frames()[0]!.body.toString()).to.equal('ab');
      expect(h.frames()[0]!.headers).to.deep.equal([['content-length', '2'], ['content-length', '9']]);
    });

    it('ends a body without content-length at the first NUL, the rest starting the next frame', () => {
      const h = harness();
      h.push('SEND\n\nabc\0SEND\n\n\0');
      expect(h.frames().map((f) => f.body.toString())).to.deep.equal(['abc', '']);
    });

    it('refuses content-length bytes not followed by a NUL', () => {
      const err = codecError(() => harness().push('SEND\ncontent-length:2\n\nabc\0'));
      expect(err.code).to.equal('syntax');
      const h = harness();
      h.push('SEND\ncontent-length:2\n\nab');
      expect(codecError(() => h.push('X')).code).to.equal('syntax');
    });

    it('refuses a content-length that is not a non-negative decimal integer', () => {
      for (const value of ['-1', 'abc', '', ' 5', '5 ', '1.5', '0x10', '+3', '1e3']) {
        const err = codecError(() => harness().push(`SEND\ncontent-length:${value}\n\n\0`));
        expect(err.code, value).to.equal('syntax');
      }
    });

    it('returns a body inside one chunk as a view of that chunk (zero copy), and never writes into chunks', () => {
      const h = harness();
      const chunk = Buffer.from('SEND\ncontent-length:3\n\nxyz\0SEND\n\nabc\0');
      const copy = Buffer.from(chunk);
      h.push(chunk);
      for (const f of h.frames()) expect(f.body.buffer).to.equal(chunk.buffer);
      expect(chunk.equals(copy)).to.equal(true);
    });

    it('joins a body split across chunks into a buffer of its own, leaving earlier bodies intact', () => {
      const h = harness();
      const a = Buffer.from('SEND\ncontent-length:3\n\nxyz\0SEND\ncontent-length:6\n\nabc');
      const b = Buffer.from('def\0SEND\n\n12');
      const c = Buffer.from('34\0');
      h.push(a);
      h.push(b);
      h.push(c);
      expect(h.frames().map((f) => f.body.toString())).to.deep.equal(['xyz', 'abcdef', '1234']);
      const [first] = h.frames();
      a.fill(0x21);
      b.fill(0x21);
      c.fill(0x21);
      // Overwriting chunks is the caller's doing; the parser itself never does it, and joined bodies own their bytes.
      expect(first!.body.toString()).to.equal('!!!');
      expect(h.frames()[1]!.body.toString()).to.equal('abcdef');
      expect(h.frames()[2]!.body.toString()).to.equal('1234');
    });

    it('collects a large body trickled one byte per chunk', () => {
      for (const withLength of [true, false]) {
        const body = Buffer.alloc(100_000);
        for (let i = 0; i < body.length; i++) body[i] = withLength ? i & 0xff : 1 + (i % 255);
        const h = harness();
        h.push(withLength ? `SEND\ncontent-length:${body.length}\n\n` : 'SEND\n\n');
        for (let i = 0; i < body.length; i++) h.push(body.subarray(i, i + 1));
        expect(h.frames()).to.have.length(0);
        expect(h.parser.buffered).to.be.greaterThan(body.length);
        h.push(Buffer.from([0]));
        expect(h.frames()[0]!.body.equals(body)).to.equal(true);
      }
    });

    it('reports the bytes held for an incomplete frame in `buffered`', () => {
      const h = harness();
      h.push('SEND\nde');
      expect(h.parser.buffered).to.equal(7);
      h.push('st:x\ncontent-length:4\n\nab');
      expect(h.parser.buffered).to.equal('SEND\ndest:x\ncontent-length:4\n\nab'.length);
      h.push('cd\0');
      expect(h.parser.buffered).to.equal(0);
    });
  });

  describe('limits (STOMP 1.2 §Size Limits)', () => {
    it('refuses a content-length over maxBodyBytes as soon as the header line is read', () => {
      const h = harness({ maxBodyBytes: 10 });
      const err = codecError(() => h.push('SEND\nreceipt:r-1\ncontent-length:11\n'));
      expect(err.code).to.equal('limit');
      expect(err.limit).to.equal('maxBodyBytes');
      expect(err.frame).to.deep.equal({ command: 'SEND', headers: [['receipt', 'r-1'], ['content-length', '11']] });
    });

    it('accepts a body of exactly maxBodyBytes, with and without content-length', () => {
      const h = harness({ maxBodyBytes: 10 });
      h.push('SEND\ncontent-length:10\n\n0123456789\0SEND\n\n0123456789\0');
      expect(h.frames()).to.have.length(2);
    });

    it('refuses a body without content-length once more than maxBodyBytes arrive without a NUL', () => {
      const h = harness({ maxBodyBytes: 10 });
      h.push('SEND\n\n01234');
      h.push('56789');
      const err = codecError(() => h.push('A'));
      expect(err.limit).to.equal('maxBodyBytes');
      expect(err.code).to.equal('limit');
    });

    it('stops scanning a large chunk at the body limit', () => {
      const h = harness({ maxBodyBytes: 10 });
      const err = codecError(() => h.push(Buffer.concat([Buffer.from('SEND\n\n'), Buffer.alloc(1000, 0x41), Buffer.from([0])])));
      expect(err.limit).to.equal('maxBodyBytes');
    });

    it('accepts maxHeaders headers and refuses one more', () => {
      const lines = (n: number): string => Array.from({ length: n }, (_, i) => `h${i}:v\n`).join('');
      const ok = harness({ maxHeaders: 3 });
      ok.push(`SEND\n${lines(3)}\n\0`);
      expect(ok.frames()[0]!.headers).to.have.length(3);
      const err = codecError(() => harness({ maxHeaders: 3 }).push(`SEND\n${lines(4)}`));
      expect(err.code).to.equal('limit');
      expect(err.limit).to.equal('maxHeaders');
    });

    it('accepts a header line of exactly maxHeaderLineBytes, also with CRLF', () => {
      const h = harness({ maxHeaderLineBytes: 10 });
      h.push('SEND\nabcd:12345\r\nabcd:12345\n\n\0');
      expect(h.frames()).to.have.length(1);
    });

    it('refuses a header line over maxHeaderLineBytes before its end arrives', () => {
      const h = harness({ maxHeaderLineBytes: 10 });
      h.push('SEND\nabcd:1234');
      h.push('56'); // 11 bytes held: could still be 10 + CR
      const err = codecError(() => h.push('7'));
      expect(err.code).to.equal('limit');
      expect(err.limit).to.equal('maxHeaderLineBytes');
      expect(err.frame?.command).to.equal('SEND');
    });

    it('refuses a complete header line over maxHeaderLineBytes', () => {
      const err = codecError(() => harness({ maxHeaderLineBytes: 10 }).push('SEND\nabcd:123456\n\n\0'));
      expect(err.limit).to.equal('maxHeaderLineBytes');
    });

    it('refuses a command line over maxHeaderLineBytes, even one that never ends', () => {
      const err = codecError(() => harness({ maxHeaderLineBytes: 10 }).push('X'.repeat(12)));
      expect(err.limit).to.equal('maxHeaderLineBytes');
      expect(err.frame).to.equal(undefined);
    });

    it('bounds the parser\'s memory: a never-ending line fed byte by byte fails at the limit', () => {
      const h = harness({ maxHeaderLineBytes: 100 });
      h.push('SEND\n');
      let fed = 0;
      expect(() => {
        for (; fed < 1000; fed++) h.push(Buffer.from('a'));
      }).to.throw(StompCodecError);
      expect(fed).to.equal(101);
    });

    it('enforces the optional maxFrameBytes on headers and body together', () => {
      const ok = harness({ maxFrameBytes: 31 });
      ok.push('SEND\na:b\ncontent-length:4\n\nabcd\0'); // 27 bytes of headers + 4 of body
      expect(ok.frames()).to.have.length(1);
      const byLength = codecError(() => harness({ maxFrameBytes: 31 }).push('SEND\na:b\ncontent-length:5\n\n'));
      expect(byLength.limit).to.equal('maxFrameBytes');
      const byNul = harness({ maxFrameBytes: 20 });
      byNul.push('SEND\na:b\n\n');
      byNul.push('0123456789'); // 10 + 10
      const err = codecError(() => byNul.push('A'));
      expect(err.limit).to.equal('maxFrameBytes');
      expect(codecError(() => harness({ maxFrameBytes: 20 }).push('SEND\n' + 'a:b\n'.repeat(5))).limit).to.equal('maxFrameBytes');
    });

    it('refuses nonsensical limits', () => {
      expect(() => new FrameParser({ ...LIMITS, maxHeaders: -1 }, () => {})).to.throw(RangeError);
      expect(() => new FrameParser({ ...LIMITS, maxBodyBytes: Number.NaN }, () => {})).to.throw(RangeError);
    });
  });

  describe('after an error', () => {
    it('is dead: every later push throws the same error, and it holds nothing', () => {
      const h = harness();
      const err = codecError(() => h.push('SEND\nbad\n'));
      expect(h.parser.failed).to.equal(true);
      expect(h.parser.buffered).to.equal(0);
      expect(() => h.push('SEND\n\n\0')).to.throw(err.message);
      expect(codecError(() => h.push('\n'))).to.equal(err);
      expect(h.frames()).to.have.length(0);
    });

    it('emits the frames before the violation, not those after it', () => {
      const h = harness();
      codecError(() => h.push('SEND\n\nok\0SEND\na:\\t\n\n\0SEND\n\nlater\0'));
      expect(h.frames().map((f) => f.body.toString())).to.deep.equal(['ok']);
    });

    it('dies when onFrame throws, passing the callback\'s error on', () => {
      const boom = new Error('boom');
      const parser = new FrameParser(LIMITS, () => {
        throw boom;
      });
      expect(() => parser.push(Buffer.from('SEND\n\n\0SEND\n\n\0'))).to.throw(boom);
      expect(() => parser.push(Buffer.from('\n'))).to.throw(boom);
    });

    it('stops at once when destroyed from a callback, and ignores later pushes', () => {
      const frames: Frame[] = [];
      const parser = new FrameParser(LIMITS, (f) => {
        frames.push(f);
        parser.destroy();
      });
      parser.push(Buffer.from('SEND\n\n1\0SEND\n\n2\0'));
      parser.push(Buffer.from('garbage\n:::\n'));
      expect(frames.map((f) => f.body.toString())).to.deep.equal(['1']);
      expect(parser.failed).to.equal(false);
    });
  });
});
