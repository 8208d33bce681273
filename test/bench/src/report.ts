/** Results: medians, ratios to the relay, the issue's targets, JSON lines and the human table. */
import type { TargetKind } from './targets.js';

export interface Result {
  readonly scenario: string;
  readonly metric: string;
  /** Body bytes, or null for scenarios without messages of a size. */
  readonly size: number | null;
  readonly target: TargetKind;
  readonly runs: readonly number[];
  readonly median: number;
  readonly unit: string;
  /** This figure divided by the relay's (Wharf and peers). */
  ratio?: number;
  /** Durable queue scenarios only: this figure divided by the same target's non-durable queue 1 → 1. */
  ratioToQueue11?: number;
}

export function median(values: readonly number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** CPU shares (cores used during the measured window), shown beside a scenario's main figure. */
export function isCpuMetric(metric: string): boolean {
  return metric === 'server-cpu' || metric === 'generator-cpu';
}

/** The issue's target for a figure, if it has one: how the ratio is judged. */
export interface Goal {
  readonly text: string;
  met(result: Result): boolean | undefined;
}

/** Scenarios whose ratios are not to the relay: the reference target, and how the table names it. */
export const REFERENCES: Readonly<Record<string, { readonly target: TargetKind; readonly label: string }>> = {
  'durable-receipts': { target: 'wharf-1tx', label: '1 tx per message' },
  'durable-receipts-acks': { target: 'wharf-1tx', label: '1 tx per message' },
};

export function goalFor(scenario: string, metric: string): Goal | undefined {
  if (scenario === 'durable-receipts' && metric === 'throughput') {
    return { text: '≥ 20× 1 tx/msg (issue 6)', met: (r) => (r.ratio === undefined ? undefined : r.ratio >= 20) };
  }
  if (scenario === 'slow-consumer' && metric === 'peak-rss-vs-watermark') {
    return { text: '≤ 1.20 (HWM + 20%)', met: (r) => r.median <= 1.2 };
  }
  if (['queue-1-1', 'queue-4-4', 'topic-1-10'].includes(scenario)) {
    return { text: '≥ 0.40× relay', met: (r) => (r.ratio === undefined ? undefined : r.ratio >= 0.4) };
  }
  if (scenario === 'latency' && metric === 'p99') return { text: '≤ 2× relay', met: (r) => (r.ratio === undefined ? undefined : r.ratio <= 2) };
  if (scenario === 'idle') return { text: '≤ 2× relay', met: (r) => (r.ratio === undefined ? undefined : r.ratio <= 2) };
  if (scenario === 'durable') {
    return { text: '≥ 0.25× own queue 1→1', met: (r) => (r.ratioToQueue11 === undefined ? undefined : r.ratioToQueue11 >= 0.25) };
  }
  return undefined;
}

/** Fills in ratios: every non-relay figure against the relay's same scenario, metric and size. */
export function addRatios(results: Result[]): void {
  const key = (r: Result, scenario = r.scenario): string => `${scenario}|${r.metric}|${r.size}`;
  const reference = new Map<string, Result>();
  const referenceOf = (scenario: string): TargetKind => REFERENCES[scenario]?.target ?? 'relay';
  for (const r of results) if (r.target === referenceOf(r.scenario)) reference.set(key(r), r);
  for (const r of results) {
    if (r.target === referenceOf(r.scenario) || r.target === 'relay' || r.target === 'null' || isCpuMetric(r.metric)) continue;
    const ref = reference.get(key(r));
    if (ref && ref.median > 0 && Number.isFinite(r.median)) r.ratio = r.median / ref.median;
    if (r.scenario === 'durable' || r.scenario === 'durable-acks') {
      const q = results.find((x) => x.target === r.target && x.scenario === 'queue-1-1' && x.metric === 'throughput' && x.size === r.size);
      if (q && q.median > 0) r.ratioToQueue11 = r.median / q.median;
    }
  }
}

export function jsonLine(r: Result): string {
  const round = (x: number): number => (Number.isFinite(x) ? +x.toPrecision(6) : x);
  return JSON.stringify({
    scenario: r.scenario, metric: r.metric, size: r.size, target: r.target,
    runs: r.runs.map(round), median: round(r.median), unit: r.unit,
    ...(r.ratio !== undefined ? { ratio: round(r.ratio) } : {}),
    ...(r.ratioToQueue11 !== undefined ? { ratioToQueue11: round(r.ratioToQueue11) } : {}),
  });
}

export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'msg/s') return value >= 1000 ? `${(value / 1000).toFixed(value >= 100000 ? 0 : 1)}k` : value.toFixed(0);
  if (unit === 'ms') return value < 10 ? value.toFixed(3) : value.toFixed(1);
  if (unit === 'MB' || unit === 'KB') return value.toFixed(1);
  if (unit === '×') return `${value.toFixed(2)}×`;
  return String(+value.toPrecision(4));
}

function sizeLabel(size: number | null): string {
  if (size === null) return '—';
  return size >= 1024 && size % 1024 === 0 ? `${size / 1024} KiB` : `${size} B`;
}

/** A Markdown table: one row per scenario, metric and size; a column per target; ratios to the relay. */
export function table(results: readonly Result[], titles: ReadonlyMap<string, string>): string {
  const peers = [...new Set(results.map((r) => r.target))].filter((t) => t !== 'relay' && t !== 'wharf' && t !== 'null' && t !== 'wharf-1tx');
  const header = ['scenario', 'size', 'metric', 'unit', 'relay', 'wharf', 'wharf / relay', 'target', 'met',
    ...peers.flatMap((p) => [p, `${p} / relay`]), 'CPU server+generator (relay · wharf)'];
  const rows: string[][] = [];
  const seen = new Set<string>();
  const cpuShown = new Set<string>();
  for (const r of results) {
    if (isCpuMetric(r.metric)) continue;
    const k = `${r.scenario}|${r.metric}|${r.size}`;
    if (seen.has(k)) continue;
    seen.add(k);
    const same = (t: TargetKind, metric = r.metric): Result | undefined =>
      results.find((x) => x.scenario === r.scenario && x.metric === metric && x.size === r.size && x.target === t);
    const referenceTo = REFERENCES[r.scenario];
    // The CPU each side used, once per scenario and size: shows whether the generator was the limit.
    let cpu = '';
    const cpuKey = `${r.scenario}|${r.size}`;
    if (!cpuShown.has(cpuKey)) {
      cpuShown.add(cpuKey);
      const side = (t: TargetKind): string | undefined => {
        const server = same(t, 'server-cpu');
        const generator = same(t, 'generator-cpu');
        return server && generator ? `${server.median.toFixed(2)}+${generator.median.toFixed(2)}` : undefined;
      };
      cpu = (['null', referenceTo?.target ?? 'relay', 'wharf'] as const).map(side).filter((x) => x !== undefined).join(' · ');
    }
    const relay = same(referenceTo?.target ?? 'relay');
    const wharf = same('wharf');
    const nullTarget = same('null');
    const goal = goalFor(r.scenario, r.metric);
    const met = wharf && goal ? goal.met(wharf) : undefined;
    let ratio = wharf?.ratio !== undefined ? `${wharf.ratio.toFixed(2)}×` : '—';
    if (wharf?.ratioToQueue11 !== undefined) ratio += ` (${wharf.ratioToQueue11.toFixed(2)}× own queue 1→1)`;
    rows.push([
      titles.get(r.scenario) ?? r.scenario, sizeLabel(r.size), r.metric, r.unit,
      nullTarget ? `${formatValue(nullTarget.median, r.unit)} (null server)`
        : relay ? `${formatValue(relay.median, r.unit)}${referenceTo ? ` (${referenceTo.label})` : ''}` : '—',
      wharf ? formatValue(wharf.median, r.unit) : '—',
      ratio, goal?.text ?? '', met === undefined ? '' : met ? 'yes' : 'NO',
      ...peers.flatMap((p) => {
        const x = same(p);
        return [x ? formatValue(x.median, r.unit) : '—', x?.ratio !== undefined ? `${x.ratio.toFixed(2)}×` : '—'];
      }),
      cpu,
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
