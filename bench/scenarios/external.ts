/**
 * Benches other parts of the project own — bench/simulator.bench.ts (`runSimulatorBench`, issue 3)
 * and bench/batch.bench.ts (`runBatchBench`, issue 6) — run through one adapter: imported only if
 * the file is there, bounded by the time budget, and their figures put in the same table. A missing
 * file, a missing export, an error or a timeout is reported as such, never as a figure.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BenchRow, ScenarioContext, ScenarioResult, Target } from './support/types.js';

export interface ExternalBench {
  id: string;
  label: string;
  title: string;
  /** Path relative to bench/. */
  file: string;
  exportName: string;
  /** Rows for a result shape this bench is known to return; `null` falls back to the generic reading. */
  pick?: (out: Record<string, unknown>) => BenchRow[] | null;
  /** Targets of the owning issue, matched by name against the figures of a bare result object. */
  targets?: { pattern: RegExp; target: Target; better: 'higher' | 'lower' }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export const EXTERNAL_BENCHES: ExternalBench[] = [
  {
    id: 'S', label: 'S simulator', title: 'Simulator: requests/s on loopback, zero service time (issue 3)',
    file: 'simulator.bench.ts', exportName: 'runSimulatorBench',
    pick: (out) => {
      const rps = num(out.requestsPerSecond);
      if (rps === null) return null;
      const lat = isObject(out.latencyMs) ? out.latencyMs : {};
      const label = 'S simulator';
      const note = `${num(out.requests) ?? '?'} requests, ${num(out.concurrency) ?? '?'} in flight, ${num(out.errors) ?? '?'} errors`;
      return [
        { scenario: label, metric: 'requests/s on loopback (50/50 charge/query)', unit: 'req/s', measured: Math.round(rps), target: { op: '>=', value: 5_000 }, better: 'higher', note },
        { scenario: label, metric: 'request latency p50 / p99', unit: 'ms', measured: num(lat.p50), note: `p99 ${num(lat.p99) ?? '—'} ms` },
        { scenario: label, metric: 'busy violations', unit: 'ops', measured: num(out.busyViolations), target: { op: '<=', value: 0 } },
      ];
    },
    targets: [{ pattern: /requests?\s*(\/|per)\s*s|req\/s|rps/i, target: { op: '>=', value: 5_000 }, better: 'higher' }],
  },
  {
    id: 'B', label: 'B batch refunds', title: 'Batch refunds: 10,000-row CSV validated and enqueued (issue 6)',
    file: 'batch.bench.ts', exportName: 'runBatchBench',
    targets: [{ pattern: /(validat|enqueu).*(ms|time)|(ms|time).*(validat|enqueu)/i, target: { op: '<=', value: 3_000 }, better: 'lower' }],
  },
];

const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));

class Timeout extends Error {}

export async function externalScenario(bench: ExternalBench, ctx: ScenarioContext): Promise<ScenarioResult> {
  const started = Date.now();
  const base = { id: bench.id, title: bench.title, rows: [] as BenchRow[] };
  const notRun = (reason: string, status: ScenarioResult['status'] = 'not run'): ScenarioResult => ({
    ...base, status, reason, durationMs: Date.now() - started,
    rows: [{ scenario: bench.label, metric: bench.title, unit: '', measured: null, note: `${status}: ${reason}` }],
  });
  const path = `${BENCH_DIR}${bench.file}`;
  if (!existsSync(path)) return notRun(`bench/${bench.file} is not in this tree`);
  let fn: unknown;
  try {
    fn = ((await import(pathToFileURL(path).href)) as Record<string, unknown>)[bench.exportName];
  } catch (err) {
    return notRun(`bench/${bench.file} failed to load: ${(err as Error).message}`, 'failed');
  }
  if (typeof fn !== 'function') return notRun(`bench/${bench.file} has no export ${bench.exportName}()`);
  let timer: NodeJS.Timeout | undefined;
  try {
    const out: unknown = await Promise.race([
      (fn as (o: unknown) => Promise<unknown>)({ quick: ctx.quick, budgetMs: ctx.budgetMs, log: ctx.log }),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Timeout()), ctx.budgetMs))),
    ]);
    const rows = toRows(out, bench);
    if (rows.length === 0) return notRun(`${bench.exportName}() returned no figures`, 'failed');
    return { ...base, status: 'ok', durationMs: Date.now() - started, rows, details: { raw: out as Record<string, unknown> } };
  } catch (err) {
    if (err instanceof Timeout) return notRun(`${bench.exportName}() did not finish within its ${Math.round(ctx.budgetMs / 1000)} s budget`, 'failed');
    return notRun(`${bench.exportName}() threw: ${(err as Error).message}`, 'failed');
  } finally {
    clearTimeout(timer);
  }
}


/**
 * Accepts rows in our shape (`{metric, measured, unit?}`, alone, in an array or under `rows`; their
 * targets are theirs), else turns every finite number of a flat result object into a row named by its key.
 */
export function toRows(out: unknown, bench: ExternalBench): BenchRow[] {
  const picked = isObject(out) && bench.pick ? bench.pick(out) : null;
  if (picked) return picked;
  const list = Array.isArray(out) ? out : isObject(out) && Array.isArray(out.rows) ? out.rows : isObject(out) && 'metric' in out ? [out] : null;
  const rows: BenchRow[] = [];
  if (list) {
    for (const r of list) {
      if (!isObject(r) || typeof r.metric !== 'string') continue;
      const measured = typeof r.measured === 'number' && Number.isFinite(r.measured) ? r.measured : null;
      rows.push({ ...(r as Partial<BenchRow>), scenario: bench.label, metric: r.metric, unit: typeof r.unit === 'string' ? r.unit : '', measured });
    }
  } else if (isObject(out)) {
    // A bare figures object: its numbers become rows, and the owning issue's targets are matched by name.
    for (const [key, value] of Object.entries(out)) {
      if (typeof value !== 'number' || !Number.isFinite(value)) continue;
      const row: BenchRow = { scenario: bench.label, metric: key, unit: unitOf(key), measured: value };
      const t = bench.targets?.find((x) => x.pattern.test(`${row.metric} ${row.unit}`));
      rows.push(t ? { ...row, target: t.target, better: t.better } : row);
    }
  }
  return rows;
}

function unitOf(key: string): string {
  if (/Ms$|_ms$/i.test(key)) return 'ms';
  if (/PerSecond$|PerSec$|_per_s$|Rps$/i.test(key)) return '/s';
  if (/Us$|_us$/i.test(key)) return 'µs';
  if (/Bytes$|_bytes$/i.test(key)) return 'B';
  return '';
}
