/**
 * The testkit's redis-server helper (issue 16): a real server, ready when started, that tests can
 * stop, kill, pause and restart, and that keeps its data across a restart with AOF.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isWharfError } from '@wharf/core';
import { startRedisServer, testRedisUrl } from '../src/redis-server.js';
import { ping } from '../src/redis-server.js';

/** One command through redis-cli (Debian ships it with redis-server). */
function cli(port: number, ...args: string[]): string {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8', timeout: 5000 });
  return result.stdout.trim();
}

describe('testkit: startRedisServer', function () {
  this.timeout(20_000);

  it('starts a server on 127.0.0.1 that answers PING, and stop() ends it', async () => {
    const server = await startRedisServer();
    expect(server.url).to.equal(`redis://127.0.0.1:${server.port}`);
    expect(await ping(server.port)).to.equal(true);
    expect(cli(server.port, 'CONFIG', 'GET', 'bind')).to.contain('127.0.0.1');
    await server.stop();
    expect(await ping(server.port)).to.equal(false);
  });

  it('pause() leaves it silent and resume() brings it back', async () => {
    const server = await startRedisServer();
    try {
      server.pause();
      expect(await ping(server.port, 300)).to.equal(false);
      server.resume();
      expect(await ping(server.port)).to.equal(true);
    } finally {
      await server.stop();
    }
  });

  it('kill() ends it at once and restart() gives it back on the same port with its AOF data', async () => {
    const server = await startRedisServer({ appendonly: true });
    try {
      const firstPid = server.pid;
      expect(cli(server.port, 'SET', 'kept', 'yes')).to.equal('OK');
      await server.kill();
      expect(await ping(server.port)).to.equal(false);
      await server.restart();
      expect(server.pid).to.not.equal(firstPid);
      expect(await ping(server.port)).to.equal(true);
      expect(cli(server.port, 'GET', 'kept')).to.equal('yes');
      expect(existsSync(join(server.dir, 'appendonlydir'))).to.equal(true);
    } finally {
      await server.stop();
    }
  });

  it('without AOF a restart starts empty', async () => {
    const server = await startRedisServer();
    try {
      cli(server.port, 'SET', 'gone', 'yes');
      await server.restart();
      expect(cli(server.port, 'EXISTS', 'gone')).to.equal('0');
    } finally {
      await server.stop();
    }
  });

  it('names the fix when redis-server is not installed', async () => {
    const path = process.env['PATH'];
    process.env['PATH'] = '/nonexistent';
    try {
      await startRedisServer();
      expect.fail('started without a binary');
    } catch (err) {
      expect(isWharfError(err)).to.equal(true);
      expect((err as Error).message).to.contain('redis-server was not found');
      expect((err as { hint: string }).hint).to.contain('apt-get install redis-server');
    } finally {
      process.env['PATH'] = path;
    }
  });

  it('testRedisUrl() gives one url per process (WHARF_REDIS_URL when set)', async () => {
    const url = await testRedisUrl();
    expect(url).to.match(/^redis:\/\//);
    expect(await testRedisUrl()).to.equal(url);
    const port = Number(new URL(url).port);
    expect(await ping(port)).to.equal(true);
  });
});
