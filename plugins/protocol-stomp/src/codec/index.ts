/**
 * The STOMP frame codec: a standalone, incremental, zero-copy parser and the encoders, for STOMP 1.0, 1.1 and 1.2.
 * https://stomp.github.io/stomp-specification-1.2.html
 */
export type { StompVersion, Frame, CodecLimits, CodecLimitName } from './types.js';
export { DEFAULT_CODEC_LIMITS } from './types.js';
export { StompCodecError, type StompCodecErrorCode, type PartialFrame } from './errors.js';
export { FrameParser } from './parser.js';
export {
  encodeFrame,
  encodeReceipt,
  encodeMessageHead,
  encodeMessage,
  encodeSubscriptionHead,
  encodeMessageBlock,
  type BlockOmits,
  HEARTBEAT,
  NUL_BYTE,
  MESSAGE_COPY_THRESHOLD,
  type HeaderInput,
} from './encoder.js';
export { escapeHeader, unescapeHeader, escapeModeFor, type EscapeMode } from './escape.js';
