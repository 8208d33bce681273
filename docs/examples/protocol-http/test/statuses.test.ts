/** What each kind of refusal is answered with: the status, the JSON body with the broker's words, the headers HTTP asks for. */
import { expect } from 'chai';
import { connect as connectTcp } from 'node:net';
import type { Broker } from '@wharf/core';
import { HttpBrokerClient } from '../src/client.js';
import { ALICE, GUEST, alice, startHttpBroker } from './broker.js';

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string; readonly hint?: string };
}
const errorOf = (body: Buffer): ErrorBody['error'] => (JSON.parse(body.toString('utf8')) as ErrorBody).error;

describe('http adapter: status codes and error bodies', () => {
  let broker: Broker;
  let port: number;
  const client = (credentials: { login?: string; passcode?: string } = ALICE) => new HttpBrokerClient({ port, ...credentials });

  before(async () => {
    broker = await startHttpBroker({ maxBodyBytes: 1024, maxPollMessages: 10, maxWaitMs: 5000, maxConcurrentPolls: 2 });
    port = broker.listeners[0]!.port;
  });
  after(() => broker.stop());

  it('401 for bad credentials, with the broker\'s text and the scheme to use', async () => {
    const answer = await client({ login: 'alice', passcode: 'wrong' }).request('POST', '/publish/queue/s', {}, 'x');
    expect(answer.status).to.equal(401);
    expect(answer.headers['www-authenticate']).to.match(/^Basic realm="wharf"/);
    expect(errorOf(answer.body)).to.deep.include({ code: 'WHARF_ERR_BAD_CREDENTIALS', message: 'bad credentials' });
  });

  it('400 for an Authorization header that is not HTTP Basic', async () => {
    const answer = await client({}).request('GET', '/poll/queue/s', { authorization: 'Bearer abc' });
    expect(answer.status).to.equal(400);
    expect(errorOf(answer.body).message).to.equal('the Authorization header is not HTTP Basic');
  });

  it('403 for a missing right, naming it', async () => {
    const answer = await client(GUEST).request('POST', '/publish/queue/s-guest', {}, 'x');
    expect(answer.status).to.equal(403);
    expect(errorOf(answer.body)).to.deep.include({ code: 'WHARF_ERR_ACCESS_DENIED', message: 'write access to /queue/s-guest refused for user guest' });
  });

  it('404 for a path with no endpoint, and for a destination no route leads to', async () => {
    const noEndpoint = await client().request('GET', '/status');
    expect(noEndpoint.status).to.equal(404);
    expect(errorOf(noEndpoint.body).message).to.equal('no endpoint at /status');
    const noRoute = await client().request('POST', '/publish/nowhere/x', {}, 'x');
    expect(noRoute.status).to.equal(404);
    expect(errorOf(noRoute.body).code).to.equal('WHARF_ERR_NO_ROUTE');
  });

  it('405 for the wrong method, with Allow', async () => {
    const answer = await client().request('GET', '/publish/queue/s');
    expect(answer.status).to.equal(405);
    expect(answer.headers.allow).to.equal('POST');
  });

  it('413 for a body over maxBodyBytes, declared or streamed; the queue gets nothing', async () => {
    const declared = await client().request('POST', '/publish/queue/s-big', {}, Buffer.alloc(1025));
    expect(declared.status).to.equal(413);
    expect(errorOf(declared.body).code).to.equal('WHARF_ERR_LIMIT');
    // Chunked: no content-length, so the limit is found while reading.
    const streamed = await new Promise<number>((resolve, reject) => {
      void import('node:http').then(({ request }) => {
        const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/publish/queue/s-big', headers: { authorization: `Basic ${Buffer.from('alice:alice-secret').toString('base64')}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write(Buffer.alloc(700));
        req.end(Buffer.alloc(700));
      });
    });
    expect(streamed).to.equal(413);
    expect(broker.mqm.lookup('/queue/s-big')?.stats().enqueued ?? 0).to.equal(0);
    expect(broker.mqm.sessionCount).to.equal(0);
  });

  it('400 for bad poll parameters, and for a max over maxPollMessages', async () => {
    expect((await client().request('GET', '/poll/queue/s?max=0')).status).to.equal(400);
    expect((await client().request('GET', '/poll/queue/s?wait=soon')).status).to.equal(400);
    expect(errorOf((await client().request('GET', '/poll/queue/s?color=red')).body).message).to.equal('unknown parameter "color" for poll');
    const tooMany = await client().request('GET', '/poll/queue/s?max=11');
    expect(tooMany.status).to.equal(400);
    expect(errorOf(tooMany.body).message).to.equal('max 11 is above 10 (limit maxPollMessages)');
  });

  it('429 once maxConcurrentPolls polls are open; a slot frees when one answers', async () => {
    const waiting = new AbortController();
    const polls = [0, 1].map(() => alice(broker).poll('/queue/s-busy', { waitMs: 5000, signal: waiting.signal }).catch(() => []));
    while (broker.mqm.lookup('/queue/s-busy')?.stats().subscribers !== 2) await new Promise((r) => setTimeout(r, 5));
    const refused = await client().request('GET', '/poll/queue/s-busy?wait=1000');
    expect(refused.status).to.equal(429);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(errorOf(refused.body).message).to.include('limit maxConcurrentPolls');
    await alice(broker).publish('/queue/s-busy', 'one');
    await alice(broker).publish('/queue/s-busy', 'two');
    expect((await Promise.all(polls)).flat().map((m) => m.body.toString()).sort()).to.deep.equal(['one', 'two']);
    expect(await alice(broker).poll('/queue/s-busy'), 'a slot is free again').to.deep.equal([]);
  });

  it('400 (and the close) for bytes that are not HTTP; 431 for headers over Node\'s limit; both with JSON bodies', async () => {
    const raw = (bytes: string): Promise<string> => new Promise((resolve) => {
      const socket = connectTcp(port, '127.0.0.1');
      let text = '';
      socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
      socket.on('error', () => undefined);
      socket.once('close', () => resolve(text));
      socket.write(bytes);
    });
    const garbage = await raw('\u00ff\u00fe not http\r\n\r\n');
    expect(garbage).to.match(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(errorOf(Buffer.from(garbage.slice(garbage.indexOf('\r\n\r\n') + 4))).message).to.match(/^malformed HTTP request/);
    const huge = await raw(`GET /poll/queue/s HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(huge).to.match(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
  });

  it('503 for a queue that is full and refuses more, with Retry-After', async () => {
    await alice(broker).publish('/queue/full', 'the one it holds');
    const refused = await client().request('POST', '/publish/queue/full', {}, 'one too many');
    expect(refused.status).to.equal(503);
    expect(refused.headers['retry-after']).to.equal('1');
    expect(errorOf(refused.body).code).to.equal('WHARF_ERR_OVERFLOW');
  });

  it('destinations are percent-decoded per segment', async () => {
    await alice(broker).publish('/queue/with space/and%', 'odd name');
    expect(broker.mqm.lookup('/queue/with space/and%')).to.not.equal(undefined);
    expect((await alice(broker).poll('/queue/with space/and%')).map((m) => m.body.toString())).to.deep.equal(['odd name']);
  });
});
