/** The control: the HTTP-lite adapter as it should be. The request-response profile passes it; the variants break it. */
import { definePlugin } from '@wharf/core';
import { HttpLiteAdapter } from './adapter.js';

export default definePlugin({ kind: 'protocol', name: 'http-lite-control', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new HttpLiteAdapter());
});
