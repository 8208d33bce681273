/**
 * describeStore's kill -9 check: a child process opens the store and writes batches, and is killed
 * with SIGKILL in the middle; the store reopened here must hold every batch it reported committed,
 * whole, in order, and no part of the one being written.
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import type { Store, StoredMessage } from '@wharf/core';
import { replayAll } from './store-helpers.js';

/** Messages per batch in the crash test, half to each of two destinations. */
const CRASH_BATCH = 400;

/** Runs `rounds` of write-and-kill in `dir`; `open()` opens (setup included) the store kept there. */
export async function checkCrashRecovery(childModule: string, dir: string, rounds: number, open: () => Promise<Store>): Promise<void> {
  let committedSoFar = -1;
  for (let round = 0; round < rounds; round++) {
    const reported = await runAndKill(childModule, dir, round);
    const store = await open();
    const a = await replayAll(store, '/queue/a');
    const b = await replayAll(store, '/queue/b');
    await store.close();
    // Every batch is all there or not at all, in both destinations, and the batches that are
    // there are the first ones, in order.
    const batchesA = batchesOf(a);
    const batchesB = batchesOf(b);
    expect(batchesA, `round ${round}: both destinations hold the same batches`).to.deep.equal(batchesB);
    for (const [batch, count] of batchesA) expect(count, `round ${round}: batch ${batch} is whole`).to.equal(CRASH_BATCH / 2);
    const present = [...batchesA.keys()];
    expect(present, `round ${round}: batches in order, none missing`).to.deep.equal(present.map((_, i) => i));
    const last = present.length - 1;
    expect(last, `round ${round}: every batch reported committed is there`).to.be.at.least(reported);
    expect(last, `round ${round}: nothing committed earlier was lost`).to.be.at.least(committedSoFar);
    committedSoFar = last;
  }
  expect(committedSoFar, 'the child committed something').to.be.at.least(0);
}

/** Batch number -> number of messages, from ids `b<batch>-<i>`, in replay order. */
function batchesOf(list: readonly StoredMessage[]): Map<number, number> {
  const batches = new Map<number, number>();
  for (const s of list) {
    const batch = Number(/^b(\d+)-/.exec(s.message.id)?.[1] ?? Number.NaN);
    batches.set(batch, (batches.get(batch) ?? 0) + 1);
  }
  return batches;
}

/**
 * Starts a child that opens the store in `dir` and writes batches numbered on from what is there,
 * printing each one committed; kills it with SIGKILL at a random moment after a few commits.
 * Returns the highest batch number it reported committed (-1 if none).
 */
function runAndKill(childModule: string, dir: string, round: number): Promise<number> {
  const script = `
    const { createStore } = await import(${JSON.stringify(pathToFileURL(childModule).href)});
    const store = await createStore(${JSON.stringify(dir)});
    await store.setup();
    let next = 0;
    for await (const s of store.replay('/queue/a')) next = Math.max(next, Number(/^b(\\d+)-/.exec(s.message.id)[1]) + 1);
    const body = Buffer.alloc(512, 'c');
    process.stdout.write('ready\\n');
    for (let batch = next; ; batch++) {
      const ops = [];
      for (let i = 0; i < ${CRASH_BATCH}; i++) {
        const message = { id: 'b' + batch + '-' + i, destination: '/pubsub/crash', headers: { i: String(i) }, body, persistent: true, timestamp: Date.now() };
        ops.push({ op: 'append', destination: i % 2 === 0 ? '/queue/a' : '/queue/b', message });
      }
      await store.write(ops);
      process.stdout.write('committed ' + batch + '\\n');
    }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let reported = -1;
    let commits = 0;
    let stderr = '';
    let killTimer: NodeJS.Timeout | undefined;
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        const match = /^committed (\d+)$/.exec(line);
        if (match === null) continue;
        reported = Number(match[1]);
        if (++commits === 2 && killTimer === undefined) {
          // A random moment within the next writes (different in each round).
          const delay = 5 + Math.floor(Math.random() * 60) + round * 7;
          killTimer = setTimeout(() => child.kill('SIGKILL'), delay);
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (signal !== 'SIGKILL') reject(new Error(`the writer exited on its own (code ${code}): ${stderr}`));
      else resolve(reported);
    });
  });
}
