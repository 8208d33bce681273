/**
 * disk-full: the SQLite file on a tmpfs of 8 MiB (mounted here; root only). Durable and
 * non-durable producers and their consumers run throughout; the attack fills the tmpfs, restarts
 * the broker on the full disk halfway through, then frees the space. The promises checked
 * (docs/reliability.md#disk-full): no RECEIPT for a message that is then lost (a false receipt);
 * plain traffic keeps working on the full disk, a restart included; durable sends get receipts
 * again once space returns, without a restart.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SoakBroker } from './broker.js';
import { onCleanup } from './cleanup.js';
import { Ledger } from './ledger.js';
import type { AttackResult, AttackSettings } from './result.js';
import { RssSampler } from './rss.js';
import { Consumer, Producer } from './traffic.js';

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/**
 * Small, so a full disk is quick to reach, and larger than the 8 MiB, on which the WAL of
 * the paced traffic alone filled the disk before the attack did. (The store checkpoints every
 * 10,000 pages, ~40 MiB, so before a fix that checkpoints on a full disk the WAL still takes most
 * of it: the notes print the file sizes.)
 */
const TMPFS_SIZE = '32m';

/** Why the attack cannot run here, or undefined. */
function unavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'skipped: mounting a tmpfs needs root (run the soak as root, as CI does)';
  return undefined;
}

/** The files on the disk and their sizes in KiB, e.g. "wharf.db 4096, wharf.db-wal 3900". */
function listing(dir: string): string {
  return readdirSync(dir).map((name) => `${name} ${Math.round(statSync(join(dir, name)).size / 1024)}`).join(', ') + ' (KiB)';
}

/** Writes a file until the filesystem says ENOSPC; returns the bytes written. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  let written = 0;
  try {
    for (const size of [256 * 1024, 4096, 512]) {
      const chunk = Buffer.alloc(size, 0x7a);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

export async function diskFullAttack(settings: AttackSettings): Promise<AttackResult> {
  const skipped = unavailable();
  if (skipped) return { attack: 'disk-full', ran: false, skipped, falseReceipts: 0, errors: 0, peakRssBytes: 0, notes: [skipped] };
  const dir = mkdtempSync(join(tmpdir(), 'wharf-soak-disk-'));
  const disk = join(dir, 'disk');
  mkdirSync(disk);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_SIZE}`, 'tmpfs', disk], { encoding: 'utf8' });
  if (mount.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const why = `skipped: mount -t tmpfs failed: ${mount.stderr.trim() || mount.error?.message}`;
    return { attack: 'disk-full', ran: false, skipped: why, falseReceipts: 0, errors: 0, peakRssBytes: 0, notes: [why] };
  }
  const unmount = (): void => {
    // A lazy unmount if something still holds a file there.
    if (spawnSync('umount', [disk]).status !== 0) spawnSync('umount', ['-l', disk]);
    rmSync(dir, { recursive: true, force: true });
  };
  const forgetUnmount = onCleanup(unmount);
  const ledger = new Ledger();
  const notes: string[] = [];
  const broken: string[] = [];
  let broker: SoakBroker | undefined;
  let rss: RssSampler | undefined;
  const durable: Producer[] = [];
  const plain: Producer[] = [];
  const consumers: Consumer[] = [];
  try {
    broker = await SoakBroker.start({ dir, dbFile: join(disk, 'wharf.db'), ...settings.brokerSpec });
    const running = broker;
    rss = new RssSampler(() => running.pid);
    durable.push(new Producer(broker.port, ledger, 'disk-durable', '/queue/soak.disk.durable', true, 1024, 2, 10));
    plain.push(new Producer(broker.port, ledger, 'disk-plain', '/queue/soak.disk.plain', false, 1024, 2, 10));
    consumers.push(new Consumer(broker.port, ledger, '/queue/soak.disk.durable'), new Consumer(broker.port, ledger, '/queue/soak.disk.plain'));
    for (const worker of [...consumers, ...durable, ...plain]) worker.start();
    const share = Math.max(settings.seconds * 1000 - 5000, 6000);
    const receipts = (producers: Producer[]): number => producers.reduce((n, p) => n + p.outcomes.receipt, 0);
    const errorsOf = (producers: Producer[]): number => producers.reduce((n, p) => n + p.outcomes.error, 0);

    // Paced (about 200 messages/s each), so the traffic alone does not fill the disk before the attack does.
    await delay(share * 0.2);
    const filled = fill(join(disk, 'filler'));
    settings.progress('disk-full: disk filled');
    notes.push(`filled the ${TMPFS_SIZE} tmpfs with ${Math.round(filled / 1024)} KiB: ${listing(disk)}`);
    const fullStart = { durable: receipts(durable), durableErrors: errorsOf(durable) };
    await delay(share * 0.2);

    settings.progress('disk-full: restarting on the full disk');
    // A restart on the full disk: it must come up, with plain traffic working.
    await broker.kill('SIGTERM');
    ledger.brokerStopped();
    let upOnFullDisk = true;
    try {
      await broker.launch();
    } catch (err) {
      upOnFullDisk = false;
      const lines = (err as Error).message.split('\n');
      broken.push(`the broker did not start on the full disk: ${(lines.find((l) => l.startsWith('error WHARF_ERR')) ?? lines[0]!).slice(0, 200)}`);
    }
    const plainBefore = receipts(plain);
    await delay(share * 0.2);
    if (upOnFullDisk && receipts(plain) === plainBefore) broken.push('plain (non-durable) sends got no receipt on the full disk after the restart');
    notes.push(`on the full disk: ${receipts(durable) - fullStart.durable} durable receipts, ${errorsOf(durable) - fullStart.durableErrors} durable ERRORs, ${receipts(plain) - plainBefore} plain receipts after the restart`);

    settings.progress('disk-full: freeing the space');
    unlinkSync(join(disk, 'filler'));
    notes.push(`space freed: ${listing(disk)}`);
    if (!upOnFullDisk) {
      settings.progress(`disk-full: starting on the freed disk: ${listing(disk)}`);
      await broker.launch();
      notes.push('the broker needed the space back to start');
    }
    const freedAt = receipts(durable);
    await delay(share * 0.4);
    const recovered = receipts(durable) - freedAt;
    if (recovered === 0) broken.push('durable sends got no receipt after the space came back (no recovery without a restart)');
    notes.push(`after freeing: ${recovered} durable receipts${upOnFullDisk ? ' without a restart' : ' (after the start the full disk refused)'}`);

    for (const producer of [...durable, ...plain]) await producer.stop();
    await Promise.all(consumers.map((c) => c.drained()));
  } finally {
    await Promise.all([...consumers, ...durable, ...plain].map((w) => w.stop()));
    await broker?.kill('SIGTERM');
    unmount();
    forgetUnmount();
  }
  const verdict = ledger.verdict();
  const errors = [...durable, ...plain, ...consumers].flatMap((w) => w.errors);
  if (errors.length > 0) notes.push(`ERROR: ${[...new Set(errors)].slice(0, 2).join('; ')}`);
  return {
    attack: 'disk-full', ran: true, verdict, falseReceipts: verdict.lost, errors: errors.length,
    peakRssBytes: rss?.stop() ?? 0, broken, notes,
  };
}
