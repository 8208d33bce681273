/**
 * The codec limits (CodecLimits; STOMP 1.2 §Size Limits) as the frame parser enforces them: checking the values it
 * is given, and the errors a frame over one of them gets. The comparisons themselves stay inline in parser.ts,
 * where each costs one comparison per line, per header or per chunk; what a failure says is here, off the hot
 * path, so that the parser reads as the state machine it is.
 */
import { StompCodecError, type PartialFrame } from './errors.js';
import type { CodecLimitName } from './types.js';

/** A configured limit, checked once when it is set (FrameParser.setLimits). */
export function checkLimit(name: CodecLimitName, value: number): number {
  if (typeof value !== 'number' || !(value >= 0)) throw new RangeError(`codec limit ${name} must be a non-negative number, got ${String(value)}`);
  return value;
}

/** A command or header line (without its EOL) longer than maxHeaderLineBytes, or not ended yet past it. */
export function lineTooLong(commandLine: boolean, maxLine: number, frame: PartialFrame | undefined): StompCodecError {
  return new StompCodecError('limit', `a ${commandLine ? 'command' : 'header'} line is longer than the limit of ${maxLine} bytes`, 'maxHeaderLineBytes', frame);
}

/** STOMP 1.2 §Size Limits: "the number of frame headers allowed in a single frame". */
export function tooManyHeaders(maxHeaders: number, frame: PartialFrame | undefined): StompCodecError {
  return new StompCodecError('limit', `the frame has more than the limit of ${maxHeaders} headers`, 'maxHeaders', frame);
}

/** A content-length over maxBodyBytes: refused on the header, without waiting for the bytes. */
export function contentLengthOverBody(value: string, maxBody: number, frame: PartialFrame | undefined): StompCodecError {
  return new StompCodecError('limit', `content-length ${value} is over the body limit of ${maxBody} bytes`, 'maxBodyBytes', frame);
}

/** A body without content-length that has no NUL within maxBodyBytes. */
export function noNulWithinBody(maxBody: number, frame: PartialFrame | undefined): StompCodecError {
  return new StompCodecError('limit', `the body has no NUL octet within the body limit of ${maxBody} bytes`, 'maxBodyBytes', frame);
}

/** A frame (lines, EOLs and body) larger than maxFrameBytes. */
export function frameTooLarge(maxFrame: number, frame: PartialFrame | undefined): StompCodecError {
  return new StompCodecError('limit', `the frame is larger than the limit of ${maxFrame} bytes`, 'maxFrameBytes', frame);
}
