import { expect } from 'chai';
import {
  commandOf, encodeFrame, FrameReader, headerOf, headersOf, payloadProducer, payloadSeq, payloadTs, SendTemplate, type FrameView,
} from '../stomp.js';

interface Parsed { command: string; headers: Record<string, string>; body: Buffer }

function parseAll(chunks: Buffer[]): Parsed[] {
  const out: Parsed[] = [];
  const reader = new FrameReader((f: FrameView) => {
    out.push({ command: commandOf(f), headers: headersOf(f), body: Buffer.from(f.buf.subarray(f.bodyStart, f.bodyEnd)) });
  });
  for (const chunk of chunks) reader.push(chunk);
  expect(reader.pendingBytes, 'bytes left over').to.equal(0);
  return out;
}

function splitAt(stream: Buffer, cuts: number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    chunks.push(stream.subarray(from, cut));
    from = cut;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

describe('bench: the generator STOMP codec', () => {
  const binary = Buffer.from([1, 0, 10, 0, 13, 10, 10, 255]);
  const frames = [
    encodeFrame('CONNECTED', [['version', '1.2'], ['heart-beat', '0,0']]),
    encodeFrame('MESSAGE', [['subscription', 's0'], ['message-id', 'm-1'], ['destination', '/queue/a'], ['ack', '1-1']], Buffer.from('hello')),
    Buffer.from('\n\r\n\n'), // heart-beats between frames
    encodeFrame('MESSAGE', [['subscription', 's0'], ['message-id', 'm-2'], ['destination', '/queue/a']], binary),
    Buffer.from('RECEIPT\r\nreceipt-id:r7\r\n\r\n\0'), // CRLF lines, no body
    Buffer.from('ERROR\nmessage:bad thing\n\nno content-length here\0'),
  ];
  const stream = Buffer.concat(frames);

  function checkParsed(parsed: Parsed[]): void {
    expect(parsed.map((p) => p.command)).to.deep.equal(['CONNECTED', 'MESSAGE', 'MESSAGE', 'RECEIPT', 'ERROR']);
    expect(parsed[0]!.headers).to.deep.equal({ version: '1.2', 'heart-beat': '0,0' });
    expect(parsed[1]!.body.toString()).to.equal('hello');
    expect(parsed[1]!.headers['ack']).to.equal('1-1');
    expect(parsed[1]!.headers['content-length']).to.equal('5');
    expect([...parsed[2]!.body]).to.deep.equal([...binary]);
    expect(parsed[3]!.headers).to.deep.equal({ 'receipt-id': 'r7' });
    expect(parsed[3]!.body.length).to.equal(0);
    expect(parsed[4]!.body.toString()).to.equal('no content-length here');
  }

  it('parses a stream of frames read in one chunk', () => {
    checkParsed(parseAll([stream]));
  });

  it('parses the same frames whatever the one cut in the stream', () => {
    for (let cut = 1; cut < stream.length; cut++) checkParsed(parseAll(splitAt(stream, [cut])));
  });

  it('parses the same frames byte by byte and at random cuts', () => {
    checkParsed(parseAll([...stream].map((b) => Buffer.from([b]))));
    let seed = 7;
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let i = 0; i < 200; i++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 8) }, () => 1 + Math.floor(random() * (stream.length - 1)));
      checkParsed(parseAll(splitAt(stream, [...new Set(cuts)])));
    }
  });

  it('looks up one header without decoding the others, and misses absent ones', () => {
    let seen = 0;
    new FrameReader((f) => {
      seen++;
      expect(headerOf(f, 'ack')).to.equal('1-1');
      expect(headerOf(f, 'message-id')).to.equal('m-1');
      expect(headerOf(f, 'id')).to.equal(undefined);
      expect(headerOf(f, 'ac')).to.equal(undefined);
    }).push(frames[1]!);
    expect(seen).to.equal(1);
  });

  it('decodes escaped header values when it lists all headers (for ERROR reports)', () => {
    let headers: Record<string, string> = {};
    new FrameReader((f) => { headers = headersOf(f); }).push(Buffer.from('ERROR\nmessage:too slow\\c s8\\\\x\nmessage:second\n\n\0'));
    expect(headers).to.deep.equal({ message: 'too slow: s8\\x' });
  });

  it('refuses a body that is not followed by NUL where content-length says', () => {
    const reader = new FrameReader(() => undefined);
    expect(() => reader.push(Buffer.from('MESSAGE\ncontent-length:2\n\nabc\0'))).to.throw(/not followed by NUL/);
  });

  it('stamps producer, sequence number and time into SEND batches that parse back, however the stream is cut', () => {
    for (const size of [100, 4096]) {
      const template = new SendTemplate('/queue/x', size, 3, [['persistent', 'true']]);
      const batch = template.batch(50, 1000, 123.5);
      expect(batch.length).to.equal(50 * template.length);
      for (const chunkSize of [1, 333, 1000, 4200, 65536]) {
        const seqs: number[] = [];
        const reader = new FrameReader((f) => {
          expect(commandOf(f)).to.equal('SEND');
          expect(headerOf(f, 'destination')).to.equal('/queue/x');
          expect(headerOf(f, 'persistent')).to.equal('true');
          expect(f.bodyEnd - f.bodyStart).to.equal(size);
          expect(payloadProducer(f)).to.equal(3);
          expect(payloadTs(f)).to.equal(123.5);
          seqs.push(payloadSeq(f));
        });
        for (let at = 0; at < batch.length; at += chunkSize) reader.push(batch.subarray(at, Math.min(batch.length, at + chunkSize)));
        expect(seqs, `${size} B bodies in ${chunkSize}-byte chunks`).to.deep.equal(Array.from({ length: 50 }, (_, i) => 1000 + i));
        expect(reader.pendingBytes).to.equal(0);
      }
    }
  });
});
