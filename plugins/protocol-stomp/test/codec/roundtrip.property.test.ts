/**
 * Property-based tests: whatever the frame and however its bytes are split, encoding then parsing gives it back.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  encodeFrame,
  encodeMessage,
  encodeReceipt,
  encodeMessageBlock,
  encodeSubscriptionHead,
  escapeHeader,
  escapeModeFor,
  unescapeHeader,
  type EscapeMode,
  type StompVersion,
} from '../../src/codec/index.js';
import { harness, plain, split } from './helpers.js';

const RUNS = 300;
const VERSIONS: StompVersion[] = ['1.0', '1.1', '1.2'];
const COMMANDS = ['CONNECT', 'STOMP', 'CONNECTED', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT', 'MESSAGE', 'RECEIPT', 'ERROR'];

/** Text rich in the characters escaping is about, mixed with any Unicode (no lone surrogates: UTF-8 cannot carry them). */
const unit = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(':', '\n', '\r', '\\', '\\n', '\\c', '\\r', 'c', 'n', '\0') },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
);
const text = (minLength: number): fc.Arbitrary<string> => fc.string({ unit, minLength, maxLength: 12 });

/** Whether a name or value can be carried in a mode (what the encoder refuses, the generators leave out). */
function representable(s: string, mode: EscapeMode, isName: boolean): boolean {
  if (isName && (s.length === 0 || s === 'content-length')) return false;
  if (mode === 2) return true;
  if (!isName && s.endsWith('\r')) return false;
  if (mode === 1) return true;
  return !s.includes('\n') && !(isName && s.includes(':'));
}

function headersFor(mode: EscapeMode): fc.Arbitrary<Array<[string, string]>> {
  const header = fc.tuple(
    text(1).filter((n) => representable(n, mode, true)),
    text(0).filter((v) => representable(v, mode, false)),
  );
  return fc.array(header, { maxLength: 6 });
}

const body = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 40, min: 0, max: 2 }), // NUL-heavy
);

interface FrameSpec {
  command: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
}

function frameFor(version: StompVersion): fc.Arbitrary<FrameSpec> {
  return fc.constantFrom(...COMMANDS).chain((command) =>
    fc.record({ command: fc.constant(command), headers: headersFor(escapeModeFor(command, version)), body }));
}

/** What the parser must give back for a frame encodeFrame wrote. */
function expected(spec: FrameSpec, version: StompVersion): ReturnType<typeof plain> {
  const withLength = version !== '1.0' || spec.body.includes(0);
  return {
    command: spec.command,
    headers: withLength ? [...spec.headers, ['content-length', String(spec.body.length)]] : spec.headers,
    body: Buffer.from(spec.body).toString('hex'),
  };
}

const eols = fc.array(fc.constantFrom('\n', '\r\n'), { maxLength: 3 });
const cuts = fc.array(fc.nat(), { maxLength: 20 });

/** A message block's bytes: a string block is ASCII, one byte per character. */
function blockBytes(block: string | Buffer): Buffer {
  return typeof block === 'string' ? Buffer.from(block, 'latin1') : block;
}

describe('codec properties', () => {
  for (const version of VERSIONS) {
    it(`STOMP ${version}: frames encode and parse back identically, however the bytes are split`, () => {
      fc.assert(fc.property(
        fc.array(fc.tuple(eols, frameFor(version)), { minLength: 1, maxLength: 4 }),
        cuts,
        (frames, cutPoints) => {
          const pieces: Buffer[] = [];
          let heartbeats = 0;
          for (const [beats, spec] of frames) {
            heartbeats += beats.length;
            pieces.push(Buffer.from(beats.join('')), encodeFrame(spec.command, spec.headers, spec.body, version));
          }
          const h = harness({}, version);
          for (const chunk of split(Buffer.concat(pieces), cutPoints)) h.push(chunk);
          expect(h.frames().map(plain)).to.deep.equal(frames.map(([, spec]) => expected(spec, version)));
          expect(h.heartbeats()).to.equal(heartbeats);
          expect(h.parser.buffered).to.equal(0);
        },
      ), { numRuns: RUNS });
    });
  }

  for (const version of VERSIONS) {
    it(`STOMP ${version}: encodeReceipt writes the bytes encodeFrame writes for a RECEIPT, for any receipt id`, () => {
      const mode = escapeModeFor('RECEIPT', version);
      const id = fc.oneof(text(0), fc.stringMatching(/^[ -~]{0,40}$/)).filter((v) => representable(v, mode, false));
      fc.assert(fc.property(id, (receiptId) => {
        const fast = encodeReceipt(receiptId, version);
        expect(blockBytes(fast)).to.deep.equal(encodeFrame('RECEIPT', [['receipt-id', receiptId]], undefined, version));
      }), { numRuns: RUNS });
    });
  }

  it('one byte at a time gives the same events as one chunk', () => {
    fc.assert(fc.property(fc.constantFrom(...VERSIONS), fc.array(frameFor('1.2'), { minLength: 1, maxLength: 3 }), (version, specs) => {
      const bytes = Buffer.concat(specs.map((s) => encodeFrame(s.command, s.headers, s.body, '1.2')));
      const whole = harness({}, version);
      const single = harness({}, version);
      let wholeError: unknown;
      let singleError: unknown;
      try {
        whole.push(bytes);
      } catch (err) {
        wholeError = err;
      }
      try {
        for (let i = 0; i < bytes.length; i++) single.push(bytes.subarray(i, i + 1));
      } catch (err) {
        singleError = err;
      }
      // Parsed as another version the frames may be refused, but the same way whatever the split.
      expect(single.events.map((e) => (e === 'HB' ? e : plain(e)))).to.deep.equal(whole.events.map((e) => (e === 'HB' ? e : plain(e))));
      expect((singleError as Error | undefined)?.message).to.equal((wholeError as Error | undefined)?.message);
    }), { numRuns: 150 });
  });

  for (const [name, mode] of [['1.0 / CONNECT', 0], ['1.1', 1], ['1.2', 2]] as const) {
    it(`escaping round-trips in ${name} mode`, () => {
      fc.assert(fc.property(text(0), fc.boolean(), (s, isName) => {
        fc.pre(representable(s, mode, isName) || (!isName && s.length === 0));
        const escaped = escapeHeader(s, mode, isName);
        const back = mode === 0 ? escaped : unescapeHeader(escaped, mode === 2);
        expect(back).to.equal(s);
        if (mode !== 0) expect(escaped.includes('\n')).to.equal(false);
        if (mode === 2) expect(escaped.includes('\r') || escaped.includes(':')).to.equal(false);
      }), { numRuns: RUNS });
    });
  }

  for (const version of VERSIONS) {
    it(`STOMP ${version}: encodeMessage output parses back to the same MESSAGE frame`, () => {
      const mode = escapeModeFor('MESSAGE', version);
      const value = text(0).filter((v) => representable(v, mode, false));
      const userHeaders = fc.dictionary(text(1).filter((n) => representable(n, mode, true)), value, { maxKeys: 5 })
        .map((d) => {
          // Names the encoder writes itself are left out of a sender's headers (tested elsewhere).
          for (const k of ['destination', 'message-id', 'subscription', 'ack', 'redelivered', 'persistent', '__proto__']) delete d[k];
          return d;
        });
      const extra = fc.subarray<[string, string]>([['redelivered', 'true'], ['persistent', 'true']]);
      const messageBody = fc.oneof(body, fc.integer({ min: 16 * 1024 - 2, max: 16 * 1024 + 2 }).map((n) => new Uint8Array(n).fill(0)));
      fc.assert(fc.property(
        value, value, value, fc.option(value, { nil: undefined }), extra, userHeaders, messageBody, cuts,
        (destination, messageId, subscription, ack, extraHeaders, user, payload, cutPoints) => {
          const out = encodeMessage(version, destination, messageId, subscription, ack, extraHeaders, user, payload);
          const bytes = Array.isArray(out) ? Buffer.concat(out) : out;
          const h = harness({}, version);
          for (const chunk of split(bytes, cutPoints)) h.push(chunk);
          const headers: Array<[string, string]> = [['destination', destination], ['message-id', messageId], ['subscription', subscription]];
          if (ack !== undefined) headers.push(['ack', ack]);
          headers.push(...extraHeaders, ...Object.entries(user), ['content-length', String(payload.length)]);
          expect(h.frames().map(plain)).to.deep.equal([{ command: 'MESSAGE', headers, body: Buffer.from(payload).toString('hex') }]);
        },
      ), { numRuns: 200 });
    });
  }
  for (const version of VERSIONS) {
    it(`STOMP ${version}: a MESSAGE written in pieces (subscription head, ack, extras, message block) carries what encodeMessage writes`, () => {
      const mode = escapeModeFor('MESSAGE', version);
      const value = text(0).filter((v) => representable(v, mode, false));
      const userHeaders = fc.dictionary(text(1).filter((n) => representable(n, mode, true)), value, { maxKeys: 5 })
        .map((d) => {
          delete d['__proto__'];
          return d;
        });
      const extra = fc.subarray<[string, string]>([['redelivered', 'true'], ['persistent', 'true']]);
      fc.assert(fc.property(
        value, value, value, fc.option(value, { nil: undefined }), extra, userHeaders, body, cuts,
        (destination, messageId, subscription, ack, extraHeaders, user, payload, cutPoints) => {
          const reference = encodeMessage(version, destination, messageId, subscription, ack, extraHeaders, user, payload);
          const pieces = [
            encodeSubscriptionHead(version, destination, subscription),
            Buffer.from(ack === undefined ? '' : `ack:${escapeHeader(ack, mode, false)}\n`, 'utf8'),
            Buffer.from(extraHeaders.map(([n, v]) => `${n}:${v}\n`).join('')),
            blockBytes(encodeMessageBlock(version, messageId, user, payload.length, { ack: ack !== undefined, extra: extraHeaders })),
            Buffer.from(payload),
            Buffer.from([0]),
          ];
          const parse = (bytes: Buffer) => {
            const h = harness({}, version);
            for (const chunk of split(bytes, cutPoints)) h.push(chunk);
            return h.frames().map(plain);
          };
          const [fast] = parse(Buffer.concat(pieces));
          const [ref] = parse(Array.isArray(reference) ? Buffer.concat(reference) : reference as Buffer);
          const sorted = (headers: ReadonlyArray<readonly [string, string]>) => [...headers].map((h) => h.join('\u0000')).sort();
          expect(fast!.command).to.equal('MESSAGE');
          expect(fast!.body).to.equal(ref!.body);
          expect(sorted(fast!.headers)).to.deep.equal(sorted(ref!.headers));
        },
      ), { numRuns: 200 });
    });
  }
});
