/** The soak's one table of figures, and which invariants it says were broken. */
import type { AttackResult } from './result.js';

const MB = 1024 * 1024;

/** Every broken invariant of one row, each as a sentence; none: the row held. */
export function brokenInvariants(result: AttackResult): string[] {
  if (!result.ran) return [];
  const broken = [...(result.broken ?? [])];
  const v = result.verdict;
  if (v) {
    if (v.lost > 0 && result.attack !== 'disk-full') broken.push(`${v.lost} receipted messages lost`);
    if (v.duplicated > 0) broken.push(`${v.duplicated} messages delivered again after their ACK was receipted`);
    if (v.reordered > 0) broken.push(`${v.reordered} deliveries out of their producer's order`);
    if (v.redeliveredMisses > 0) broken.push(`${v.redeliveredMisses} redeliveries without redelivered:true`);
  }
  if (result.falseReceipts > 0) broken.push(`${result.falseReceipts} false receipts (receipted, then lost)`);
  if (result.goodPair && result.goodPair.failed > 0) {
    broken.push(`the good pair failed ${result.goodPair.failed} of ${result.goodPair.operations} operations (${result.goodPair.failures.join('; ')})`);
  }
  return broken;
}

const COLUMNS = [
  'attack', 'receipted', 'lost', 'dup', 'reorder', 'redeliv', 'flag-miss', 'false-rcpt', 'errors',
  'peak RSS MB', 'good p50', 'good p99', 'good max', 'good failed', 'verdict',
] as const;

function cells(result: AttackResult): string[] {
  const name = result.phase ? `${result.attack}:${result.phase}` : result.attack;
  if (!result.ran) return [name, ...COLUMNS.slice(1, -1).map(() => '–'), 'skipped'];
  const v = result.verdict;
  const n = (x: number | undefined): string => (x === undefined ? '–' : String(x));
  const ms = (x: number | undefined): string => (x === undefined ? '–' : `${x.toFixed(1)} ms`);
  const g = result.goodPair;
  return [
    name, n(v?.receipted), n(v?.lost), n(v?.duplicated), n(v?.reordered), n(v?.redeliveredFlagged), n(v?.redeliveredMisses),
    result.attack === 'disk-full' ? n(result.falseReceipts) : '–', n(result.errors),
    (result.peakRssBytes / MB).toFixed(0), ms(g?.p50Ms), ms(g?.p99Ms), ms(g?.maxMs),
    g ? `${g.failed}/${g.operations}` : '–', brokenInvariants(result).length === 0 ? 'held' : 'BROKEN',
  ];
}

/** A Markdown table (it reads as plain text too), then the notes and broken invariants, row by row. */
export function table(results: readonly AttackResult[]): string {
  const rows = [COLUMNS.slice() as string[], ...results.map(cells)];
  const widths = COLUMNS.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line), ''];
  for (const result of results) {
    const name = result.phase ? `${result.attack}:${result.phase}` : result.attack;
    for (const note of result.notes) out.push(`${name}: ${note}`);
    for (const broken of brokenInvariants(result)) out.push(`${name}: BROKEN: ${broken}`);
  }
  return out.join('\n');
}
