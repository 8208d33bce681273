/** What every attack is given and what it reports, for the table (report.ts). */
import type { BrokerSpec } from './broker.js';
import type { Verdict } from './ledger.js';

export interface AttackSettings {
  /** This attack's share of `--duration`, in seconds. */
  readonly seconds: number;
  /** Config merged into every broker the attack starts (`--listener-options`, `--limits`). */
  readonly brokerSpec: Omit<BrokerSpec, 'dir' | 'dbFile'>;
  /** Flood sizes (`--flood-*`). */
  readonly flood: FloodSettings;
  /** A progress line on stderr. */
  readonly progress: (line: string) => void;
}

export interface FloodSettings {
  /** Idle connections asked for; the fd limit may lower it. */
  readonly idleConnections: number;
  /** Connections holding an unfinished 4 MiB CONNECT. */
  readonly bigFrames: number;
}

/** The good pair's figures over one window of time. */
export interface LatencyFigures {
  readonly operations: number;
  readonly failed: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Why operations failed, the first few. */
  readonly failures: string[];
}

export interface AttackResult {
  readonly attack: string;
  /** A row label suffix, e.g. "baseline". */
  readonly phase?: string;
  readonly ran: boolean;
  /** Why it did not run. */
  readonly skipped?: string;
  readonly verdict?: Verdict;
  /** Receipted, then lost (disk-full). */
  readonly falseReceipts: number;
  /** ERROR frames the well-behaved clients got. */
  readonly errors: number;
  readonly peakRssBytes: number;
  readonly goodPair?: LatencyFigures;
  /** Invariants broken beyond the ledger's (e.g. no recovery), each one sentence. */
  readonly broken?: string[];
  readonly notes: string[];
}
