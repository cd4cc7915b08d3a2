/**
 * The shape every scenario reports in: rows of one table (bench/run.ts prints them and writes them to
 * bench/results/<timestamp>.json). A figure that was not measured is `null` with a `note` saying why —
 * never a made-up number.
 */

/** A target from issue 7: `measured op value`. */
export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface BenchRow {
  /** Scenario label, e.g. `1 throughput`. */
  scenario: string;
  metric: string;
  unit: string;
  /** Our figure; `null` when not measured. */
  measured: number | null;
  /** `measured` is a lower bound (the run was stopped by its time budget before it finished). */
  atLeast?: boolean;
  target?: Target;
  /** The peer measured in the same run on the same Redis. */
  peer?: { name: string; value: number | null; atLeast?: boolean };
  /** Which way is better, for the ratio and for "better than the peer" targets. */
  better?: 'higher' | 'lower';
  /** The target also requires beating the peer (issue 7: makespan better than both peers). */
  mustBeatPeer?: boolean;
  note?: string;
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: 'ok' | 'partial' | 'not run' | 'failed';
  /** Why a scenario did not run or ran partly. */
  reason?: string;
  durationMs: number;
  rows: BenchRow[];
  /** Everything else worth keeping (breakdowns, parameters) — goes to the JSON file only. */
  details?: Record<string, unknown>;
}

/** What bench/run.ts hands each scenario. */
export interface ScenarioContext {
  /** Wall-clock ms this scenario may take; each one stops its own work before this. */
  budgetMs: number;
  /** Smaller sizes for a smoke run (`npm run bench -- --quick`). */
  quick: boolean;
  log(message: string): void;
}

export type Scenario = (ctx: ScenarioContext) => Promise<ScenarioResult>;
