/** The control: the line protocol as it should be. describeProtocolAdapter() passes it; the variants break it. */
import { definePlugin } from '@wharf/core';
import { LineAdapter } from './adapter.js';

export default definePlugin({ kind: 'protocol', name: 'line-control', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new LineAdapter());
});
