/**
 * What one durable message costs the sqlite store, without a broker around it: the store is driven
 * with the batches a busy broker hands it in the `durable-receipts` benchmark (2,000 appends in one
 * transaction, then their 2,000 removals in the next), and the process's CPU time per message is
 * printed. Not a test (nothing is asserted, no timing is judged): a tool to compare two versions
 * of the store on one machine, alternately, as docs/durability.md does.
 *
 *   node plugins/store-sqlite/dist/test/batch-cost.js [body bytes = 100] [rounds = 150]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Message, StoreOp } from '@wharf/core';
import { SqliteStore } from '../src/index.js';

const BATCH = 2000;
const WARMUP_ROUNDS = 10;

async function main(): Promise<void> {
  const size = Number(process.argv[2] ?? 100);
  const rounds = Number(process.argv[3] ?? 150);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-batch-cost-'));
  const store = new SqliteStore({ path: join(dir, 'wharf.db') });
  try {
    await store.setup();
    const destination = '/queue/batch-cost';
    // As the STOMP parser hands them over: each body a view into a larger read buffer.
    const frame = Buffer.alloc(64 + size, 0x61);
    let next = 0;
    const round = async (): Promise<void> => {
      const appends: StoreOp[] = new Array(BATCH);
      const removes: StoreOp[] = new Array(BATCH);
      for (let i = 0; i < BATCH; i++) {
        const id = `bc-${1_000_000_000 + next++}`;
        const message: Message = { id, destination, headers: {}, body: frame.subarray(64), persistent: true, timestamp: Date.now() };
        appends[i] = { op: 'append', destination, message };
        removes[i] = { op: 'remove', destination, id };
      }
      await store.write(appends);
      await store.write(removes);
    };
    for (let r = 0; r < WARMUP_ROUNDS; r++) await round();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    for (let r = 0; r < rounds; r++) await round();
    const wallMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const messages = rounds * BATCH;
    process.stdout.write(
      `${size} B bodies, ${messages} messages in batches of ${BATCH}: ${((cpu.user + cpu.system) / messages).toFixed(2)} µs CPU per message ` +
      `(${(cpu.system / messages).toFixed(2)} of it in the kernel), ${((wallMs * 1000) / messages).toFixed(2)} µs wall\n`,
    );
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
