/**
 * `npm run bench`: every scenario of issue 7 (plus the simulator and batch benches, when present),
 * each against its peer in the same run, each bounded in time (default 9.5 min in all). Writes
 * bench/results/<timestamp>.json and prints the markdown table.
 *
 *   npm run bench                     # everything
 *   npm run bench -- --quick          # small sizes, a smoke run (≈ 1 min)
 *   npm run bench -- --only 1,3       # some scenarios (ids: 1 2 3 4 5 S B D W R)
 *   npm run bench -- --budget 300     # total seconds
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { codecScenario } from './scenarios/codec.js';
import { durabilityScenario } from './durability.js';
import { EXTERNAL_BENCHES, externalScenario } from './scenarios/external.js';
import { handoffScenario } from './scenarios/handoff.js';
import { scaleScenario } from './scenarios/scale.js';
import { skewScenario } from './scenarios/skew.js';
import { terminalsScenario } from './scenarios/terminals.js';
import { markdownTable, tableNotes } from './scenarios/support/table.js';
import type { ScenarioContext, ScenarioResult } from './scenarios/support/types.js';
import { throughputScenario } from './scenarios/throughput.js';
import { webhooksScenario } from './scenarios/webhooks.js';
import { REPO_ROOT } from './scenarios/support/sim-process.js';

interface Entry {
  id: string;
  title: string;
  /** Share of the total budget. */
  share: number;
  run: (ctx: ScenarioContext) => Promise<ScenarioResult>;
}

/** No scenario starts with less than this (the codec needs about 5 s, a simulator start 1–2 s). */
const MIN_BUDGET_MS = 15_000;

const SCENARIOS: Entry[] = [
  { id: '5', title: 'codec', share: 0.02, run: codecScenario },
  { id: '1', title: 'throughput', share: 0.11, run: throughputScenario },
  { id: '2', title: 'hand-off', share: 0.08, run: handoffScenario },
  { id: '3', title: 'skewed load', share: 0.36, run: skewScenario },
  { id: '4', title: 'scale', share: 0.23, run: scaleScenario },
  ...EXTERNAL_BENCHES.map((b) => ({ id: b.id, title: b.title, share: 0.1, run: (ctx: ScenarioContext) => externalScenario(b, ctx) })),
  { id: 'W', title: 'webhooks', share: 0.06, run: webhooksScenario },
  // bench/durability.ts (also runnable alone): the claim's cost under each Redis durability setting.
  { id: 'D', title: 'durability', share: 0.06, run: durabilityScenario },
  // The gateway's load: queries per payment and detection delay with realistic terminal times.
  { id: 'R', title: 'realistic terminals', share: 0.1, run: terminalsScenario },
];

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    budget: { type: 'string' },
  },
});

const quick = values.quick ?? false;
const totalBudgetMs = Number(values.budget ?? (quick ? 240 : 570)) * 1000;
const only = values.only ? new Set(values.only.split(',').map((s) => s.trim().toUpperCase())) : null;
const selected = SCENARIOS.filter((s) => !only || only.has(s.id));

const started = Date.now();
const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s]`;
const log = (m: string) => process.stderr.write(`${stamp()} ${m}\n`);

function git(...args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const results: ScenarioResult[] = [];
  const loadBefore = loadavg();
  for (const [i, s] of selected.entries()) {
    const remaining = totalBudgetMs - (Date.now() - started);
    const later = selected.slice(i + 1).reduce((n, e) => n + e.share, 0);
    // Its share of what is left, so an early scenario that finished fast leaves time to the rest.
    const budgetMs = Math.min(remaining, Math.max(MIN_BUDGET_MS, Math.floor((remaining * s.share) / (s.share + later || 1))));
    if (budgetMs < MIN_BUDGET_MS) {
      results.push({ id: s.id, title: s.title, status: 'not run', reason: 'total time budget used up', durationMs: 0, rows: [{ scenario: s.id, metric: s.title, unit: '', measured: null, note: 'not run: total time budget used up' }] });
      continue;
    }
    log(`scenario ${s.id} (${s.title}), budget ${Math.round(budgetMs / 1000)} s`);
    const t0 = Date.now();
    try {
      results.push(await s.run({ budgetMs, quick, log: (m) => log(`  ${s.id}: ${m}`) }));
    } catch (err) {
      const message = (err as Error).stack ?? String(err);
      log(`scenario ${s.id} failed: ${message}`);
      results.push({ id: s.id, title: s.title, status: 'failed', reason: (err as Error).message, durationMs: Date.now() - t0, rows: [{ scenario: s.id, metric: s.title, unit: '', measured: null, note: `failed: ${(err as Error).message}` }] });
    }
  }
  const finishedAt = new Date();
  const report = {
    startedAt: new Date(started).toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Date.now() - started,
    quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryBytes: totalmem(),
      node: process.version,
      redis: redisVersion(),
      loadavgBefore: loadBefore.map((l) => Number(l.toFixed(2))),
      loadavgAfter: loadavg().map((l) => Number(l.toFixed(2))),
    },
    commit: git('rev-parse', 'HEAD'),
    dirty: git('status', '--porcelain', '--', 'src', 'bench') !== '',
    scenarios: results,
  };
  const dir = `${REPO_ROOT}bench/results`;
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${finishedAt.toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  const notes = tableNotes(results);
  process.stdout.write(`${markdownTable(results)}\n`);
  if (notes.length) process.stdout.write(`\n${notes.map((n) => `- ${n}`).join('\n')}\n`);
  process.stdout.write(`\n${cpus().length} CPUs, ${process.version}, load average ${report.machine.loadavgBefore.join(' ')} → ${report.machine.loadavgAfter.join(' ')}; ${Math.round(report.durationMs / 1000)} s in all.\nFull results: ${file.slice(REPO_ROOT.length)}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
