/**
 * What a restart costs the sqlite store: a file is filled with `messages` stored 100-byte messages
 * spread over `destinations` queues, one message to each in turn, in batches of `batch` appends
 * (a batch of 1 is the worst case: a segment per message), then the store is opened again and the
 * time to build its index (setup) and to replay every destination is printed. Not a test: a tool,
 * as docs/durability.md uses it.
 *
 *   node plugins/store-sqlite/dist/test/startup-cost.js [messages = 500000] [destinations = 10] [batch = 2000]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoreOp } from '@wharf/core';
import { SqliteStore } from '../src/index.js';

async function main(): Promise<void> {
  const messages = Number(process.argv[2] ?? 500_000);
  const destinations = Number(process.argv[3] ?? 10);
  const batch = Number(process.argv[4] ?? 2000);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-startup-cost-'));
  const path = join(dir, 'wharf.db');
  try {
    // Filling is not what is measured: no fsync per commit.
    const filler = new SqliteStore({ path, synchronous: 'NORMAL' });
    await filler.setup();
    const body = Buffer.alloc(100, 0x61);
    for (let n = 0; n < messages;) {
      const ops: StoreOp[] = [];
      for (const end = Math.min(messages, n + batch); n < end; n++) {
        const destination = `/queue/startup-${n % destinations}`;
        ops.push({ op: 'append', destination, message: { id: `ID:startup-${n}`, destination, headers: {}, body, persistent: true, timestamp: 1_700_000_000_000 + n } });
      }
      await filler.write(ops);
    }
    await filler.close();

    const store = new SqliteStore({ path });
    const t0 = performance.now();
    await store.setup();
    const t1 = performance.now();
    let replayed = 0;
    for (let d = 0; d < destinations; d++) {
      for await (const _ of store.replay(`/queue/startup-${d}`)) replayed++;
    }
    const t2 = performance.now();
    await store.close();
    if (replayed !== messages) throw new Error(`replayed ${replayed} of ${messages} messages`);
    process.stdout.write(
      `${messages} messages in ${destinations} destinations, written in batches of ${batch}: ` +
      `index built in ${((t1 - t0) / 1000).toFixed(2)} s, all replayed in ${((t2 - t1) / 1000).toFixed(2)} s\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
