/**
 * The protocol is strict: a line that is not a well-formed request gets an error line naming the
 * problem, then the close — and only that connection notices.
 */
import { expect } from 'chai';
import type { Broker } from '@wharf/core';
import { startTestBroker } from '@wharf/testkit';
import jsonlPlugin from '../src/index.js';
import { JsonlClient } from '../src/client.js';
import { CONNECT, converse, line } from './raw.js';

const PLUGINS = ['@wharf/queue-topic', '@wharf/queue-queue', '@wharf/queue-pubsub', '@wharf/queue-command', jsonlPlugin];

describe('jsonl adapter: strictness', () => {
  let broker: Broker;
  let port: number;

  before(async () => {
    broker = await startTestBroker({
      plugins: PLUGINS,
      listeners: [{ protocol: 'jsonl', port: 0, options: { maxLineBytes: 1024, connectTimeoutMs: 300 } }],
    });
    port = broker.listeners[0]!.port;
  });
  after(() => broker.stop());

  it('answers malformed JSON with an error line and a close; other connections carry on', async () => {
    const bystander = await JsonlClient.connect(port);
    await bystander.subscribe('/topic/bystanders', { id: 'b' });
    const { lines, closed } = await converse(port, CONNECT + '{"op":"send", oops\n' + line({ op: 'send', destination: '/topic/bystanders', body: '' }));
    expect(lines.map((l) => l.op)).to.deep.equal(['connected', 'error']);
    expect(lines[1]).to.include({ code: 'WHARF_ERR_PROTOCOL' });
    expect(lines[1]!.message).to.match(/^malformed JSON/);
    expect(closed, 'the server closed the connection').to.equal(true);
    // Nothing after the bad line ran, and the bystander did not notice.
    expect(await bystander.nextMessage(100)).to.equal(undefined);
    const sender = await JsonlClient.connect(port);
    await sender.send('/topic/bystanders', 'still here');
    expect((await bystander.nextMessage())?.body.toString()).to.equal('still here');
    expect(broker.mqm.sessionCount).to.equal(2);
    await Promise.all([bystander.close(), sender.close()]);
  });

  const refused: Array<[string, string, RegExp]> = [
    ['a line that is not an object', '[1,2]', /must be a JSON object/],
    ['a request without op', line({ destination: '/queue/x' }), /missing field "op"/],
    ['an unknown op', line({ op: 'publish', destination: '/queue/x' }), /unknown op "publish"/],
    ['a missing field', line({ op: 'subscribe', id: 's' }), /missing field "destination" in subscribe/],
    ['a misspelt field', line({ op: 'send', destnation: '/queue/x', body: '' }), /unknown field "destnation" in send/],
    ['a mistyped field', line({ op: 'subscribe', destination: '/queue/x', id: 's', prefetch: -1 }), /"prefetch" of subscribe must be a whole number/],
    ['an unknown ack mode', line({ op: 'subscribe', destination: '/queue/x', id: 's', ack: 'sometimes' }), /"ack" of subscribe must be one of/],
    ['headers that are not strings', line({ op: 'send', destination: '/queue/x', body: '', headers: { n: 1 } }), /"headers" of send must be an object/],
    ['a body that is not base64', line({ op: 'send', destination: '/queue/x', body: 'not base64!' }), /"body" of send must be base64/],
    ['an ack of nothing', line({ op: 'ack', id: '9-9' }), /unknown ack id "9-9"/],
    ['an unsubscribe of nothing', line({ op: 'unsubscribe', id: 'nope' }), /no subscription with id "nope"/],
    ['a second connect', CONNECT, /already connected/],
  ];
  for (const [what, bad, message] of refused) {
    it(`refuses ${what}`, async () => {
      const { lines, closed } = await converse(port, CONNECT + (bad.endsWith('\n') ? bad : bad + '\n'));
      expect(lines.map((l) => l.op)).to.deep.equal(['connected', 'error']);
      expect(lines[1]!.message).to.match(message);
      expect(closed).to.equal(true);
    });
  }

  it('refuses every op before connect', async () => {
    const { lines, closed } = await converse(port, line({ op: 'subscribe', destination: '/queue/x', id: 's' }));
    expect(lines).to.have.length(1);
    expect(lines[0]).to.include({ op: 'error', message: 'expected connect, got subscribe' });
    expect(closed).to.equal(true);
  });

  it('refuses a line longer than maxLineBytes before it has ended', async () => {
    const { lines, closed } = await converse(port, CONNECT + 'x'.repeat(5000));
    const error = lines.at(-1)!; // the limit may strike while connect is still being checked
    expect(error).to.include({ op: 'error', code: 'WHARF_ERR_LIMIT' });
    expect(error.message).to.include('longer than 1024 bytes');
    expect(closed).to.equal(true);
  });

  it('names the receipt of the request that failed', async () => {
    const { lines } = await converse(port, CONNECT + line({ op: 'nack', id: '1-1', receipt: 'r-9' }));
    expect(lines[1]).to.include({ op: 'error', receipt: 'r-9' });
  });

  it('closes a connection that never sends connect', async () => {
    const { lines, closed } = await converse(port, '');
    expect(lines[0]).to.include({ op: 'error', code: 'WHARF_ERR_LIMIT' });
    expect(lines[0]!.message).to.include('no connect within 300 ms');
    expect(closed).to.equal(true);
  });

  it('runs requests sent right behind connect, in order, once the session is open; blank lines are ignored', async () => {
    const input = CONNECT + '\n  \r\n'
      + line({ op: 'subscribe', destination: '/topic/pipelined', id: 's', receipt: 'r1' })
      + line({ op: 'send', destination: '/topic/pipelined', body: Buffer.from('hi').toString('base64'), receipt: 'r2' })
      + '{"op":"bad"\n'; // ends the conversation once the rest has run
    const { lines } = await converse(port, input);
    expect(lines.map((l) => l.op)).to.deep.equal(['connected', 'receipt', 'message', 'receipt', 'error']);
    expect(lines[2]).to.include({ destination: '/topic/pipelined', subscription: 's', body: 'aGk=', redelivered: false });
  });
});
