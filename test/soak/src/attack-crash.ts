/**
 * crash: producers send persistent messages with receipts to two queues while consumers in
 * client-individual mode acknowledge them (with receipts); the broker is killed with SIGKILL at
 * random moments (every fourth stop a SIGTERM instead) and started again on the same SQLite file.
 * At the end a last start drains what is left, and the ledger says what was lost, duplicated,
 * reordered or came back without its redelivered flag (docs/reliability.md#crash).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoakBroker } from './broker.js';
import { Ledger } from './ledger.js';
import type { AttackResult, AttackSettings } from './result.js';
import { RssSampler } from './rss.js';
import { Consumer, Producer } from './traffic.js';

const QUEUES = ['/queue/soak.crash.a', '/queue/soak.crash.b'];
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function crashAttack(settings: AttackSettings): Promise<AttackResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wharf-soak-crash-'));
  const ledger = new Ledger();
  const broker = await SoakBroker.start({ dir, ...settings.brokerSpec });
  const rss = new RssSampler(() => broker.pid);
  const producers = QUEUES.map((queue, i) => new Producer(broker.port, ledger, `crash-${i}`, queue, true));
  const consumers = QUEUES.map((queue) => new Consumer(broker.port, ledger, queue));
  const notes: string[] = [];
  let kills = 0;
  let terms = 0;
  try {
    for (const worker of [...consumers, ...producers]) worker.start();
    // The drain at the end takes a few seconds of the share.
    const until = Date.now() + Math.max(settings.seconds * 1000 - 5000, 3000);
    while (Date.now() < until) {
      await delay(300 + Math.random() * 2200);
      const signal = (kills + terms) % 4 === 3 ? 'SIGTERM' : 'SIGKILL';
      await broker.kill(signal);
      if (signal === 'SIGKILL') kills++;
      else terms++;
      await broker.launch();
      settings.progress(`crash: ${signal} #${kills + terms}, restarted`);
    }
    settings.progress('crash: stopping the producers');
    await Promise.all(producers.map((p) => p.stop()));
    settings.progress('crash: draining');
    const ticker = setInterval(() => settings.progress(`crash: draining, ${consumers.map((c) => `${c.deliveries} deliveries over ${c.connections} connections`).join(', ')}`), 5000);
    await Promise.all(consumers.map((c) => c.drained()));
    clearInterval(ticker);
    settings.progress('crash: drained');
    for (const consumer of consumers) await consumer.stop();
    await broker.kill('SIGTERM');
  } finally {
    await Promise.all([...producers, ...consumers].map((w) => w.stop()));
    await broker.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  const verdict = ledger.verdict();
  const errors = [...producers, ...consumers].flatMap((w) => w.errors);
  notes.push(`${kills} × SIGKILL, ${terms} × SIGTERM`);
  if (errors.length > 0) notes.push(`ERROR: ${[...new Set(errors)].slice(0, 2).join('; ')}`);
  return {
    attack: 'crash', ran: true, verdict, falseReceipts: 0, errors: errors.length,
    peakRssBytes: rss.stop(), notes,
  };
}
