/**
 * `npm run soak [-- options]`: a real Wharf broker process (SQLite store, loopback) under the crash,
 * disk-full and flood attacks of issue 15, each for its share of --duration; one table of figures,
 * exit 1 if any invariant broke. What the figures mean: docs/reliability.md.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { crashAttack } from './attack-crash.js';
import { diskFullAttack } from './attack-disk-full.js';
import { floodAttack } from './attack-flood.js';
import { cleanupAll } from './cleanup.js';
import { brokenInvariants, table } from './report.js';
import type { AttackResult, AttackSettings } from './result.js';

/** Time an attack may take beyond its share: broker starts on a busy machine, the drain. */
const DEADLINE_SLACK_MS = 120_000;

const ATTACKS = ['crash', 'disk-full', 'flood'] as const;
type AttackName = (typeof ATTACKS)[number];
const RUN: Record<AttackName, (settings: AttackSettings) => Promise<AttackResult | AttackResult[]>> = {
  crash: crashAttack, 'disk-full': diskFullAttack, flood: floodAttack,
};

function positiveInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`wants a positive whole number, got ${JSON.stringify(text)}`);
  return n;
}

function attackList(text: string): AttackName[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(ATTACKS as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown attack ${JSON.stringify(name)} (known: ${ATTACKS.join(', ')})`);
  }
  if (names.length === 0) throw new InvalidArgumentError('names no attack');
  return names as AttackName[];
}

function jsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InvalidArgumentError(`is not JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidArgumentError('wants a JSON object, e.g. \'{"maxConnections":20000}\'');
  return value as Record<string, unknown>;
}

interface Options {
  duration: number;
  attacks: AttackName[];
  json: boolean;
  floodConnections: number;
  floodBigFrames: number;
  memoryHwm: number;
  listenerOptions: Record<string, unknown>;
  limits: Record<string, unknown>;
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command('npm run soak --')
    .description('run the crash, disk-full and flood attacks against a real broker and print the figures (docs/reliability.md)')
    .addOption(new Option('--duration <seconds>', 'total seconds, shared equally by the attacks').argParser(positiveInteger).default(120))
    .addOption(new Option('--attacks <list>', `which attacks, comma-separated (${ATTACKS.join(', ')})`).argParser(attackList).default([...ATTACKS], ATTACKS.join(',')))
    .option('--json', 'also print every row as one JSON line', false)
    .addOption(new Option('--flood-connections <n>', 'idle connections the flood holds (lowered to fit ulimit -n)').argParser(positiveInteger).default(10000))
    .addOption(new Option('--flood-big-frames <n>', 'connections holding an unfinished 4 MiB CONNECT').argParser(positiveInteger).default(100))
    .addOption(new Option('--memory-hwm <MiB>', "the broker's limits.memoryHighWaterMark, MiB (small, so a stuck queue reaches it within the soak)").argParser(positiveInteger).default(512))
    .addOption(new Option('--listener-options <json>', 'merged into the STOMP listener\'s options').argParser(jsonObject).default({}))
    .addOption(new Option('--limits <json>', 'merged into the config\'s limits (after --memory-hwm)').argParser(jsonObject).default({}))
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    return (err as { exitCode?: number }).exitCode ?? 2;
  }
  const options = program.opts<Options>();
  const settings: AttackSettings = {
    seconds: options.duration / options.attacks.length,
    brokerSpec: {
      listenerOptions: options.listenerOptions,
      limits: { memoryHighWaterMark: options.memoryHwm * 1024 * 1024, ...options.limits },
    },
    progress: (line) => process.stderr.write(`soak: ${line}\n`),
    flood: { idleConnections: options.floodConnections, bigFrames: options.floodBigFrames },
  };
  const results: AttackResult[] = [];
  for (const attack of options.attacks) {
    process.stderr.write(`soak: ${attack} for ${settings.seconds.toFixed(0)} s…\n`);
    // An attack that hangs (a broker that stopped answering) is reported, not waited for.
    const deadlineMs = settings.seconds * 1000 + DEADLINE_SLACK_MS;
    let timer: NodeJS.Timeout | undefined;
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`it did not finish within ${deadlineMs / 1000} s (its share plus ${DEADLINE_SLACK_MS / 1000} s for starts and the drain)`)), deadlineMs);
    });
    try {
      results.push(...[await Promise.race([RUN[attack](settings), overdue])].flat());
    } catch (err) {
      cleanupAll();
      results.push({
        attack, ran: true, falseReceipts: 0, errors: 0, peakRssBytes: 0, notes: [],
        broken: [`the attack could not complete: ${(err as Error).message}${process.env.SOAK_DEBUG ? `\n${(err as Error).stack}` : ""}`],
      });
    } finally {
      clearTimeout(timer);
    }
  }
  if (options.json) for (const result of results) process.stdout.write(`${JSON.stringify(result)}\n`);
  process.stdout.write(`${table(results)}\n`);
  const broken = results.flatMap(brokenInvariants);
  process.stdout.write(broken.length === 0 ? 'soak: every invariant held\n' : `soak: ${broken.length} invariant(s) broken\n`);
  return broken.length === 0 ? 0 : 1;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanupAll();
    process.exit(130);
  });
}
process.exitCode = await main(process.argv.slice(2));
cleanupAll();
// Sockets of a failed attack may linger: the figures are out, so leave.
process.exit();
