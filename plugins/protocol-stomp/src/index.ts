/**
 * @wharf/protocol-stomp: STOMP 1.0, 1.1 and 1.2 (https://stomp.github.io/stomp-specification-1.2.html)
 * over every transport core offers. It reaches destinations only through the MQM's reference methods.
 */
import { definePlugin } from '@wharf/core';
import { StompAdapter } from './adapter.js';

export default definePlugin({
  kind: 'protocol',
  name: 'protocol-stomp',
  core: '^0.1.0',
  description: 'STOMP 1.0/1.1/1.2 over TCP, TLS and WebSocket',
}, (ctx) => {
  ctx.protocol(new StompAdapter(ctx.logger));
});

export { StompAdapter } from './adapter.js';
export {
  stompOptionsSchema, DEFAULT_STOMP_OPTIONS, DEFAULT_MIN_SEND_MS, DEFAULT_MIN_RECEIVE_MS, heartBeatOffer, resolveStompOptions,
  type StompOptions, type StompListenerOptions, type HeartBeatOption,
} from './options.js';
