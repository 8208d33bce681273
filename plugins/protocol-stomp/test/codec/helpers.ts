import { FrameParser, type CodecLimits, type Frame, type StompVersion } from '../../src/codec/index.js';

export const LIMITS: CodecLimits = { maxBodyBytes: 4 * 1024 * 1024, maxHeaders: 64, maxHeaderLineBytes: 8192 };

/** What a parser produced, in order: frames and heart-beats ('HB'). */
export type Event = Frame | 'HB';

export interface Harness {
  parser: FrameParser;
  events: Event[];
  frames: () => Frame[];
  heartbeats: () => number;
  push: (data: string | Buffer) => void;
}

export function harness(limits: Partial<CodecLimits> = {}, version: StompVersion = '1.2'): Harness {
  const events: Event[] = [];
  const parser = new FrameParser({ ...LIMITS, ...limits }, (f) => events.push(f), () => events.push('HB'));
  parser.version = version;
  return {
    parser,
    events,
    frames: () => events.filter((e): e is Frame => e !== 'HB'),
    heartbeats: () => events.filter((e) => e === 'HB').length,
    push: (data) => parser.push(typeof data === 'string' ? Buffer.from(data, 'utf8') : data),
  };
}

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length, sorted, deduplicated). */
export function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  if (bytes.length === 0) return [];
  const points = [...new Set(cuts.map((c) => c % bytes.length))].filter((c) => c > 0).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(bytes.subarray(from, p));
    from = p;
  }
  out.push(bytes.subarray(from));
  return out;
}

/** Each byte as its own chunk, copied so that no chunk shares memory with another. */
export function bytewise(bytes: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bytes) out.push(Buffer.from([b]));
  return out;
}

/** A plain, comparable form of a frame. */
export function plain(frame: Frame): { command: string; headers: Array<[string, string]>; body: string } {
  return { command: frame.command, headers: frame.headers, body: frame.body.toString('hex') };
}
