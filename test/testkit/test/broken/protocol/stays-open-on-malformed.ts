/**
 * Broken: does not close on a malformed frame. It answers an error line and carries on reading, so
 * a client whose framing is lost keeps a connection (and a session) whose next bytes mean nothing.
 * Caught by: "answers input that breaks the protocol with an error and a close; other clients carry on".
 */
import { definePlugin, type WharfError } from '@wharf/core';
import { LineAdapter, type LineConnection } from './line/adapter.js';

class StaysOpenOnMalformed extends LineAdapter {
  override malformed(connection: LineConnection, error: WharfError): void {
    connection.send({ op: 'error', message: error.message, code: error.code });
  }
}

export default definePlugin({ kind: 'protocol', name: 'broken-stays-open-on-malformed', core: '^0.1.0' }, (ctx) => {
  ctx.protocol(new StaysOpenOnMalformed());
});
