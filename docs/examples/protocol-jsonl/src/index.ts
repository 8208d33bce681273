/**
 * wharf-protocol-jsonl: newline-delimited JSON over any transport core offers (TCP, TLS, WebSocket).
 * An example of a third-party protocol adapter: it imports only from @wharf/core and reaches
 * destinations only through the MQM's reference methods (docs/writing-a-protocol-adapter.md).
 */
import { definePlugin } from '@wharf/core';
import { JsonlAdapter } from './adapter.js';

export default definePlugin({
  kind: 'protocol',
  name: 'protocol-jsonl',
  core: '^0.1.0',
  description: 'newline-delimited JSON: one request or event per line',
}, (ctx) => {
  ctx.protocol(new JsonlAdapter(ctx.logger));
});

export { JsonlAdapter } from './adapter.js';
export { jsonlOptionsSchema, DEFAULT_JSONL_OPTIONS, type JsonlOptions } from './options.js';
