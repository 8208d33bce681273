/**
 * node:http on every stream core hands over. The adapter gives each stream to an http.Server that
 * never listens (`server.emit('connection', stream)`); these tests answer whether that works on
 * each: a TCP socket (with keep-alive and pipelining), a TLS socket, a WebSocket stream (ws's
 * createWebSocketStream, as core's `ws` transport makes), and an in-memory Duplex as tests use.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import WebSocket, { createWebSocketStream } from 'ws';
import { createLogger, type Broker, type ListenerConfig } from '@wharf/core';
import { memoryDuplexPair, testConnection } from '@wharf/testkit';
import { HttpAdapter } from '../src/adapter.js';
import { HttpBrokerClient } from '../src/client.js';
import { DEFAULT_HTTP_OPTIONS } from '../src/options.js';
import { ALICE, FIXTURES, startHttpBroker } from './broker.js';

const basic = `Basic ${Buffer.from(`${ALICE.login}:${ALICE.passcode}`).toString('base64')}`;

describe('http adapter: on every transport core hands over', () => {
  let broker: Broker;
  before(async () => {
    broker = await startHttpBroker({}, ['tcp', 'tls', 'ws']);
  });
  after(() => broker.stop());

  const roundTrip = async (client: HttpBrokerClient, destination: string): Promise<string[]> => {
    await client.publish(destination, 'over the wire', { headers: { 'x-via': 'test' } });
    return (await client.poll(destination, { max: 5 })).map((m) => `${m.body.toString()} ${m.headers['x-via']}`);
  };

  it('TCP: keeps a connection alive and answers pipelined requests in order', async () => {
    const socket = connectTcp(broker.listeners[0]!.port, '127.0.0.1');
    await once(socket, 'connect');
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    const request = (line: string, body = ''): string => `${line} HTTP/1.1\r\nhost: x\r\nauthorization: ${basic}\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    socket.write(request('POST /publish/queue/tcp-pipelined', 'first') + request('POST /publish/queue/tcp-pipelined', 'second')
      + request('GET /poll/queue/tcp-pipelined?max=5'));
    while (!text.includes('"messages"') || !text.endsWith(']}')) await new Promise((r) => setTimeout(r, 5));
    expect(text.match(/HTTP\/1\.1 \d+/g)).to.deep.equal(['HTTP/1.1 204', 'HTTP/1.1 204', 'HTTP/1.1 200']);
    const messages = JSON.parse(text.slice(text.indexOf('{"messages"'))) as { messages: Array<{ body: string }> };
    expect(messages.messages.map((m) => Buffer.from(m.body, 'base64').toString())).to.deep.equal(['first', 'second']);
    socket.destroy();
  });

  it('TLS: the same requests over HTTPS', async () => {
    const client = new HttpBrokerClient({
      port: broker.listeners[1]!.port, ...ALICE,
      tls: { ca: readFileSync(join(FIXTURES, 'tls/ca.crt')), servername: 'localhost' },
    });
    expect(await roundTrip(client, '/queue/over-tls')).to.deep.equal(['over the wire test']);
  });

  it('WebSocket: HTTP requests inside a WebSocket stream', async () => {
    const url = `ws://127.0.0.1:${broker.listeners[2]!.port}/http`;
    // One WebSocket per request (the client asks for `connection: close`); writes wait for the open.
    const client = new HttpBrokerClient({ port: 0, ...ALICE, createConnection: () => createWebSocketStream(new WebSocket(url)) });
    expect(await roundTrip(client, '/queue/over-ws')).to.deep.equal(['over the wire test']);
  });

  it('an in-memory Duplex handed to accept(), as tests of adapters do', async () => {
    const adapter = new HttpAdapter(createLogger('silent'));
    const listener: ListenerConfig = { protocol: 'http', transport: 'tcp', host: '127.0.0.1', port: 0, options: { ...DEFAULT_HTTP_OPTIONS } };
    // One pair per request (the client asks for `connection: close`).
    const client = new HttpBrokerClient({
      port: 0, ...ALICE,
      createConnection: () => {
        const [serverEnd, clientEnd] = memoryDuplexPair();
        adapter.accept(serverEnd, testConnection({ protocol: 'http' }), broker.mqm, listener);
        return clientEnd;
      },
    });
    expect(await roundTrip(client, '/queue/in-memory')).to.deep.equal(['over the wire test']);
  });

  it('closes a connection idle past idleTimeoutMs, and one whose headers never end', async () => {
    const quick = await startHttpBroker({ idleTimeoutMs: 100 });
    try {
      const port = quick.listeners[0]!.port;
      const idle = connectTcp(port, '127.0.0.1');
      idle.on('error', () => undefined);
      const slow = connectTcp(port, '127.0.0.1');
      slow.on('error', () => undefined);
      slow.write('GET /poll/queue/slow HTTP/1.1\r\nhost: x\r\n'); // and never the blank line
      await Promise.all([once(idle, 'close'), once(slow, 'close')]);
      expect(quick.mqm.sessionCount).to.equal(0);
    } finally {
      await quick.stop();
    }
  });
});
