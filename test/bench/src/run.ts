/**
 * The runner: for each scenario and size, runs every target several times, alternating which goes
 * first, takes medians and ratios to the relay; collects every exactly-once verdict.
 */
import { describeVerdict, type Verdict } from './accounting.js';
import { addRatios, jsonLine, median, type Result } from './report.js';
import { SCENARIOS, targetsFor, type Measurement, type Scenario, type Settings } from './scenarios.js';
import { durableUnavailable, findRabbitmq, startTarget, type Target, type TargetKind, type TargetOptions } from './targets.js';

export interface BenchOptions {
  readonly scenarios: readonly string[];
  readonly sizes: readonly number[];
  readonly runs: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly inflight: number;
  readonly rate: number;
  readonly openRate: number;
  readonly connections: number;
  /** Wharf's limits.memoryHighWaterMark in the slow-consumer scenario, bytes (default 256 MiB). */
  readonly memoryHighWaterMark?: number;
  readonly peer?: 'rabbitmq';
  /** Run only against these servers (default: all the scenario's). */
  readonly only?: readonly TargetKind[];
  /** Write CPU profiles of every Wharf process here. */
  readonly cpuProfileDir?: string;
  /** Progress and notes (default: stderr). */
  readonly log?: (line: string) => void;
  /** Each result as it is complete (default: nothing). */
  readonly onResult?: (result: Result, line: string) => void;
}

export interface VerdictRecord {
  readonly scenario: string;
  readonly size: number | null;
  readonly target: TargetKind;
  readonly run: number;
  readonly verdict: Verdict;
}

export interface BenchReport {
  readonly results: Result[];
  readonly verdicts: VerdictRecord[];
  /** Exactly-once failures and runs that could not complete: any makes the run fail. */
  readonly failures: string[];
  readonly notes: string[];
}

export const SCENARIO_NAMES = SCENARIOS.map((s) => s.name);

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));
  const results: Result[] = [];
  const verdicts: VerdictRecord[] = [];
  const failures: string[] = [];
  const notes: string[] = [];
  const note = (text: string): void => { notes.push(text); log(`NOTE: ${text}`); };

  const unknown = options.scenarios.filter((n) => !SCENARIO_NAMES.includes(n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; the scenarios are ${SCENARIO_NAMES.join(', ')}`);
  let peer: TargetKind | undefined = options.peer;
  if (peer === 'rabbitmq' && findRabbitmq() === undefined) {
    note('--peer rabbitmq: rabbitmq-server is not installed, so RabbitMQ is left out of this run (Debian: apt-get install rabbitmq-server; its STOMP plugin ships with it)');
    peer = undefined;
  }

  let runCounter = 0;
  for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.name))) {
    let kinds = targetsFor(scenario, peer).filter((k) => k === 'null' || options.only === undefined || options.only.includes(k));
    if (scenario.durable) {
      const why = durableUnavailable();
      if (why !== undefined) {
        note(`durable scenario skipped: ${why}. It runs once @wharf/store-sqlite is built.`);
        continue;
      }
    }
    const targetOptions: TargetOptions = {
      ...(scenario.durable ? { durable: true } : {}),
      ...(scenario.name === 'idle' ? { connections: options.connections } : {}),
      ...(scenario.name === 'slow-consumer' ? { memoryHighWaterMark: memoryHighWaterMark(options) } : {}),
      ...(options.cpuProfileDir ? { cpuProfileDir: options.cpuProfileDir } : {}),
    };
    for (const size of scenario.sized ? options.sizes : [null]) {
      const label = `${scenario.name}${size === null ? '' : ` ${size} B`}`;
      const collected = new Map<TargetKind, Map<string, { unit: string; values: number[] }>>();
      const running = new Map<TargetKind, Target>();
      try {
        if (!scenario.freshPerRun) {
          for (const kind of [...kinds]) {
            try {
              running.set(kind, await startTarget(kind, targetOptions));
            } catch (err) {
              failures.push(`${label}: could not start ${kind}: ${(err as Error).message}`);
              log(`FAILED: ${failures[failures.length - 1]}`);
              kinds = kinds.filter((k) => k !== kind);
            }
          }
        }
        for (let run = 0; run < options.runs; run++) {
          // Alternate who goes first, so neither always gets the cooler machine.
          const order = run % 2 === 0 ? kinds : [...kinds].reverse();
          for (const kind of order) {
            const settings: Settings = {
              size: size ?? 0, warmupSeconds: options.warmupSeconds, seconds: options.seconds, inflight: options.inflight,
              rate: options.rate, openRate: options.openRate, connections: options.connections, runId: `${++runCounter}`,
              memoryHighWaterMark: memoryHighWaterMark(options),
            };
            let target = running.get(kind);
            let measurement: Measurement | undefined;
            try {
              if (target === undefined) target = await startTarget(kind, targetOptions);
              measurement = await scenario.run(target, settings);
            } catch (err) {
              failures.push(`${label} against ${kind}, run ${run + 1}: ${(err as Error).message}`);
              log(`FAILED: ${failures[failures.length - 1]}`);
            } finally {
              if (scenario.freshPerRun && target !== undefined) await target.stop();
            }
            if (measurement === undefined) continue;
            for (const verdict of measurement.verdicts) {
              verdicts.push({ scenario: scenario.name, size, target: kind, run, verdict });
              if (!verdict.ok) {
                failures.push(`${label} against ${kind}, run ${run + 1}: ${describeVerdict(verdict)}`);
                log(`EXACTLY-ONCE CHECK FAILED: ${failures[failures.length - 1]}`);
              }
            }
            const byMetric = collected.get(kind) ?? new Map<string, { unit: string; values: number[] }>();
            collected.set(kind, byMetric);
            for (const m of measurement.metrics) {
              const entry = byMetric.get(m.metric) ?? { unit: m.unit, values: [] };
              entry.values.push(m.value);
              byMetric.set(m.metric, entry);
            }
            log(`${label} · ${kind} · run ${run + 1}/${options.runs}: ${measurement.metrics.map((m) => `${m.metric} ${fmt(m.value)} ${m.unit}`).join(', ')}`
              + `${measurement.verdicts.every((v) => v.ok) ? (measurement.verdicts.length ? ' · exactly once' : '') : ' · CHECK FAILED'}`
              + `${measurement.details ? ` · ${JSON.stringify(measurement.details)}` : ''}`);
          }
        }
      } finally {
        for (const target of running.values()) await target.stop();
      }
      const fresh: Result[] = [];
      for (const kind of kinds) {
        for (const [metric, { unit, values }] of collected.get(kind) ?? []) {
          fresh.push({ scenario: scenario.name, metric, size, target: kind, runs: values, median: median(values), unit });
        }
      }
      results.push(...fresh);
      addRatios(results);
      for (const r of fresh) options.onResult?.(r, jsonLine(r));
    }
  }
  return { results, verdicts, failures, notes };
}

/** The slow-consumer scenario's watermark: low enough that a 4 s backlog passes it. */
export const DEFAULT_BENCH_MEMORY_HIGH_WATER_MARK = 256 * 1024 * 1024;

function memoryHighWaterMark(options: BenchOptions): number {
  return options.memoryHighWaterMark ?? DEFAULT_BENCH_MEMORY_HIGH_WATER_MARK;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(+x.toPrecision(4)) : String(x);
}

export function titles(): Map<string, string> {
  return new Map(SCENARIOS.map((s: Scenario) => [s.name, s.title]));
}
