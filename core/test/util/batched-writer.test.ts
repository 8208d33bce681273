import { expect } from 'chai';
import { describe, it } from 'mocha';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { BatchedWriter } from '../../src/util/batched-writer.js';

/** A connected pair of real sockets: the writer writes on `server`, the test reads `client`. */
async function socketPair(): Promise<{ server: Socket; client: Socket; close: () => void }> {
  const listener: Server = createServer();
  listener.listen(0, '127.0.0.1');
  await once(listener, 'listening');
  const port = (listener.address() as { port: number }).port;
  const accepted = once(listener, 'connection');
  const client = connect(port, '127.0.0.1');
  const [server] = (await accepted) as [Socket];
  await once(client, 'connect');
  return { server, client, close: () => { client.destroy(); server.destroy(); listener.close(); } };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BatchedWriter', () => {
  it('sends everything written in one tick as one batch', async () => {
    const { server, client, close } = await socketPair();
    try {
      let writes = 0;
      const write = server.write.bind(server);
      server.write = ((...args: Parameters<Socket['write']>) => { writes++; return write(...args); }) as Socket['write'];
      const writer = new BatchedWriter(server, { highWaterMark: 1 << 20, onDrain: () => undefined });
      for (let i = 0; i < 100; i++) writer.write(Buffer.from(`line ${i}\n`));
      expect(writes, 'nothing is written inside the tick').to.equal(0);
      await tick();
      expect(writes, 'the small buffers of one tick copied together into one write').to.equal(1);
      expect(server.writableCorked).to.equal(0);
      let received = '';
      client.on('data', (chunk: Buffer) => { received += chunk.toString(); });
      while (received.split('\n').length < 101) await tick();
      expect(received.split('\n')[99]).to.equal('line 99');
    } finally {
      close();
    }
  });

  it('writes frames queued in pieces in order, large pieces by reference between copied runs of small ones', async () => {
    const { server, client, close } = await socketPair();
    try {
      const chunks: Buffer[] = [];
      const write = server.write.bind(server);
      server.write = ((chunk: Buffer, ...rest: unknown[]) => {
        chunks.push(chunk);
        return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
      }) as Socket['write'];
      const writer = new BatchedWriter(server, { highWaterMark: 1 << 20, onDrain: () => undefined });
      const body = Buffer.alloc(4096, 0x62);
      const nul = Buffer.from([0]);
      for (let i = 0; i < 3; i++) {
        writer.add(Buffer.from(`head ${i}\n`));
        writer.addLatin1(`ack:${i}\n`);
        writer.add(body);
        expect(writer.write(nul)).to.equal(true);
      }
      await tick();
      // head+ack, body, nul+head+ack, body, nul+head+ack, body, nul
      expect(chunks.length).to.equal(7);
      expect(chunks.filter((c) => c === body).length, 'the body itself, never a copy').to.equal(3);
      const expected = [0, 1, 2].map((i) => `head ${i}\nack:${i}\n${body.toString('latin1')}\0`).join('');
      let received = '';
      client.setEncoding('latin1');
      client.on('data', (text: string) => { received += text; });
      while (received.length < expected.length) await tick();
      expect(received).to.equal(expected);
    } finally {
      close();
    }
  });

  it('answers false once the client is behind, and calls onDrain when it caught up', async () => {
    const { server, client, close } = await socketPair();
    try {
      client.pause();
      let drained = 0;
      const writer = new BatchedWriter(server, { highWaterMark: 64 * 1024, onDrain: () => { drained++; } });
      const chunk = Buffer.alloc(256 * 1024, 1);
      // Kernel buffers absorb some first: write until the writer stays full while nobody reads.
      let writes = 0;
      for (; writes < 20_000; writes++) {
        if (writer.write(chunk)) continue;
        await sleep(10);
        if (writer.full) break;
      }
      expect(writer.full).to.equal(true);
      expect(writes).to.be.lessThan(20_000);
      const before = drained;
      await sleep(50);
      expect(drained, 'no drain while the client reads nothing').to.equal(before);
      client.resume();
      while (drained === before) await tick();
      expect(writer.full).to.equal(false);
      expect(writer.write(Buffer.from('more'))).to.equal(true);
    } finally {
      close();
    }
  });

  it('flushes what is queued before it ends the stream, and drops later writes', async () => {
    const { server, client, close } = await socketPair();
    try {
      const writer = new BatchedWriter(server, { highWaterMark: 1024, onDrain: () => undefined });
      writer.write(Buffer.from('last words\n'));
      writer.end(1000);
      expect(writer.write(Buffer.from('too late\n'))).to.equal(false);
      let received = '';
      client.on('data', (chunk: Buffer) => { received += chunk.toString(); });
      await once(client, 'end');
      expect(received).to.equal('last words\n');
    } finally {
      close();
    }
  });
});
