/**
 * `npm run bench [-- flags]`: Wharf against the bare relay (and optionally RabbitMQ), alternately,
 * in one invocation. Prints one JSON line per result on stdout, then a table with the ratios.
 * Exits 1 if any exactly-once check failed or a run could not complete.
 */
import { mkdirSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { table } from './report.js';
import { runBench, SCENARIO_NAMES, titles, type BenchOptions } from './run.js';
import type { TargetKind } from './targets.js';

const USAGE = `usage: npm run bench -- [flags]

  --scenarios a,b     which to run (default: all): ${SCENARIO_NAMES.join(', ')}
  --sizes 100,4096    message body sizes in bytes (default: 100,4096)
  --runs N            runs per target, medians reported (default: 3)
  --seconds S         measured seconds per run, after the warm-up (default: 3)
  --warmup S          warm-up seconds per run (default: 1)
  --inflight N        messages in flight across producers, closed loop (default: 2000)
  --rate N            latency scenario: open-loop msg/s (default: 2000)
  --open-rate N       slow-consumer scenario: producer msg/s; its consumer reads a quarter (default: 20000)
  --connections N     idle scenario: connections (default: 1000)
  --memory-hwm MB     slow-consumer scenario: Wharf's limits.memoryHighWaterMark in MiB (default: 256)
  --targets a,b       only these servers (relay, wharf, wharf-1tx, rabbitmq); ratios need the reference (default: all)
  --peer rabbitmq     also measure RabbitMQ (Debian's rabbitmq-server with the STOMP plugin), if installed
  --cpu-prof DIR      write a CPU profile of every Wharf process into DIR (node --cpu-prof)
  --quick             tiny runs for a smoke test (1 run, 0.5 s, 100 connections)
  --help`;

function positiveNumber(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got ${JSON.stringify(text)}`);
  return n;
}

function parse(argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenarios: { type: 'string' }, sizes: { type: 'string' }, runs: { type: 'string' }, seconds: { type: 'string' },
      warmup: { type: 'string' }, inflight: { type: 'string' }, rate: { type: 'string' }, 'open-rate': { type: 'string' },
      connections: { type: 'string' }, 'memory-hwm': { type: 'string' }, peer: { type: 'string' }, targets: { type: 'string' }, 'cpu-prof': { type: 'string' },
      quick: { type: 'boolean', default: false }, help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return undefined;
  const quick = values.quick === true;
  if (values.peer !== undefined && values.peer !== 'rabbitmq') throw new Error(`--peer knows only rabbitmq, got ${JSON.stringify(values.peer)}`);
  const sizes = (values.sizes ?? '100,4096').split(',').map((s) => positiveNumber('sizes', s.trim(), 0));
  for (const size of sizes) if (size < 16 || !Number.isInteger(size)) throw new Error(`--sizes: each size is a whole number of bytes ≥ 16, got ${size}`);
  const only = values.targets?.split(',').map((t) => t.trim()).filter(Boolean);
  for (const t of only ?? []) if (!['relay', 'wharf', 'wharf-1tx', 'rabbitmq'].includes(t)) throw new Error(`--targets: unknown server ${JSON.stringify(t)} (relay, wharf, wharf-1tx, rabbitmq)`);
  if (only?.includes('rabbitmq') && values.peer !== 'rabbitmq') throw new Error('--targets rabbitmq needs --peer rabbitmq');
  const cpuProfileDir = values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']);
  if (cpuProfileDir) mkdirSync(cpuProfileDir, { recursive: true });
  return {
    scenarios: values.scenarios ? values.scenarios.split(',').map((s) => s.trim()).filter(Boolean) : SCENARIO_NAMES,
    sizes,
    runs: Math.round(positiveNumber('runs', values.runs, quick ? 1 : 3)),
    seconds: positiveNumber('seconds', values.seconds, quick ? 0.5 : 3),
    warmupSeconds: positiveNumber('warmup', values.warmup, quick ? 0.2 : 1),
    inflight: Math.round(positiveNumber('inflight', values.inflight, 2000)),
    rate: positiveNumber('rate', values.rate, 2000),
    openRate: positiveNumber('open-rate', values['open-rate'], 20000),
    connections: Math.round(positiveNumber('connections', values.connections, quick ? 100 : 1000)),
    memoryHighWaterMark: Math.round(positiveNumber('memory-hwm', values['memory-hwm'], 256) * 1024 * 1024),
    ...(values.peer === 'rabbitmq' ? { peer: 'rabbitmq' as const } : {}),
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
    ...(only ? { only: only as TargetKind[] } : {}),
  };
}

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parse(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  process.stderr.write(`wharf bench: node ${process.version}, ${availableParallelism()} cores (${cpu}); `
    + `load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine skews every figure; ratios are taken within one run); `
    + `runs ${options.runs} × ${options.seconds} s after ${options.warmupSeconds} s warm-up, ${options.inflight} in flight, sizes ${options.sizes.join(',')}\n`);
  const report = await runBench({ ...options, onResult: (_r, line) => void process.stdout.write(`${line}\n`) });
  process.stdout.write(`\n${table(report.results, titles())}\n`);
  if (report.notes.length) process.stdout.write(`\n${report.notes.map((n) => `Note: ${n}`).join('\n')}\n`);
  if (report.failures.length) {
    const bar = '!'.repeat(78);
    process.stdout.write(`\n${bar}\nBENCH FAILED: ${report.failures.length} problem(s)\n${report.failures.map((f) => `  - ${f}`).join('\n')}\n${bar}\n`);
    return 1;
  }
  const checks = report.verdicts.length;
  process.stdout.write(`\nExactly-once: all ${checks} checks passed.\n`);
  return 0;
}

process.exitCode = await main();
