/**
 * flood: the good pair (127.0.0.2) is timed alone (baseline), then while 127.0.0.3 floods the
 * broker (flood-attackers.ts: idle connections, unfinished 4 MiB CONNECTs, heart-beat EOL streams,
 * a stuck consumer with an unpaced producer), then for a few seconds after the attackers left
 * (recovery). Three rows in the table; the good pair must not fail in any (docs/reliability.md#floods).
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SoakBroker } from './broker.js';
import { floodConnections, openFileLimit } from './fd-limit.js';
import { GoodPair } from './good-pair.js';
import type { AttackResult, AttackSettings } from './result.js';
import { RssSampler } from './rss.js';

const ATTACKERS = fileURLToPath(new URL('./flood-attackers.js', import.meta.url));
const ATTACK_ADDRESS = '127.0.0.3';
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

type Counters = Record<string, number>;

export async function floodAttack(settings: AttackSettings): Promise<AttackResult[]> {
  const limit = openFileLimit();
  const idle = floodConnections(settings.flood.idleConnections, limit);
  const sizing = `ulimit -n ${limit ?? 'unlimited'}: ${idle} idle connections (asked ${settings.flood.idleConnections}), ${settings.flood.bigFrames} unfinished 4 MiB CONNECTs, 2 EOL streams, 1 stuck consumer + 1 unpaced producer`;
  const baselineSeconds = Math.min(3, settings.seconds * 0.1);
  // Long enough for a stalled SEND to time out (5 s) and the next to show whether it recovered.
  const afterSeconds = Math.min(12, settings.seconds * 0.25);
  const floodSeconds = Math.max(settings.seconds - baselineSeconds - afterSeconds, 5);
  const dir = mkdtempSync(join(tmpdir(), 'wharf-soak-flood-'));
  const broker = await SoakBroker.start({ dir, ...settings.brokerSpec });
  const pair = new GoodPair(broker.port);
  const results: AttackResult[] = [];
  const row = (phase: string, peakRssBytes: number, notes: string[], broken: string[] = []): AttackResult => ({
    attack: 'flood', phase, ran: true, falseReceipts: 0, errors: 0, peakRssBytes, goodPair: pair.window(), notes, broken,
  });
  try {
    pair.start();
    let rss = new RssSampler(() => broker.pid);
    await delay(baselineSeconds * 1000);
    results.push(row('baseline', rss.stop(), ['the good pair alone']));

    rss = new RssSampler(() => broker.pid);
    const attackers = fork(ATTACKERS, [JSON.stringify({ port: broker.port, address: ATTACK_ADDRESS, idle, big: settings.flood.bigFrames })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // One question at a time: the next answer (or the exit) settles it.
    let answer: (counters: Counters) => void = () => undefined;
    attackers.on('message', (counters) => answer(counters as Counters));
    attackers.once('exit', () => answer({}));
    const ask = (message: 'report' | 'stop'): Promise<Counters> => new Promise((resolve) => {
      answer = resolve;
      if (attackers.connected) attackers.send(message);
      else resolve({});
    });
    let peakIdle = 0;
    const until = Date.now() + floodSeconds * 1000;
    while (Date.now() < until) {
      await delay(1000);
      peakIdle = Math.max(peakIdle, (await ask('report'))['idleOpen'] ?? 0);
    }
    const counters = await ask('stop');
    const floodBroken = broker.running ? [] : [`the broker exited during the flood:\n${broker.output()}`];
    results.push(row('attack', rss.stop(), [
      sizing,
      `held at most ${peakIdle} idle connections; the broker closed ${counters['closedByBroker'] ?? 0} attacker connections, refused ${counters['connectFailures'] ?? 0} connects`,
      `${Math.round((counters['eolBytes'] ?? 0) / 1048576)} MiB of EOLs and ${counters['unpacedSent'] ?? 0} unpaced SENDs written`,
    ], floodBroken));

    rss = new RssSampler(() => broker.pid);
    await delay(afterSeconds * 1000);
    const afterPeak = rss.stop();
    const last = await pair.stop();
    results.push({ ...row('after', afterPeak, ['the attackers gone: does the good pair recover by itself?']), goodPair: last });
  } finally {
    await pair.stop();
    await broker.kill('SIGTERM', 5000);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}
