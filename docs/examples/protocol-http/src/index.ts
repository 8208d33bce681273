/**
 * wharf-protocol-http: HTTP publish and (long) poll over any transport core offers (TCP, TLS), one
 * broker session per request. An example of a third-party, request/response protocol adapter: it
 * imports only from @wharf/core and reaches destinations only through the MQM's reference methods
 * (docs/writing-a-protocol-adapter.md).
 */
import { definePlugin } from '@wharf/core';
import { HttpAdapter } from './adapter.js';

export default definePlugin({
  kind: 'protocol',
  name: 'protocol-http',
  core: '^0.1.0',
  description: 'HTTP publish/poll: POST /publish/<destination>, GET /poll/<destination>?max=&wait=',
}, (ctx) => {
  ctx.protocol(new HttpAdapter(ctx.logger));
});

export { HttpAdapter } from './adapter.js';
export { httpOptionsSchema, DEFAULT_HTTP_OPTIONS, type HttpOptions } from './options.js';
