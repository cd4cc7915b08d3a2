/**
 * One nemesis run per seed: plan (workload + faults, from the seed alone), start the system, drive
 * the workload while the nemesis strikes, heal, settle, check, report. Every process is killed at the
 * end, whatever happened. Artifacts (process logs, the timeline, the report) go to
 * test-artifacts/nemesis/<profile>/seed-<seed>/.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { check, settle, type CheckResult, type Rec, type Violation } from './checker.js';
import { formatEntry, planFaults, runNemesis, Timeline } from './faults.js';
import { killAll, REPO_ROOT } from './proc.js';
import { PROFILES, type Profile, type ProfileName } from './profiles.js';
import { createRng } from './rng.js';
import { logTails, startSystem, type System } from './system.js';
import { driveWorkload, knowledgeOf, planWorkload } from './workload.js';

export interface RunOptions {
  profile: ProfileName;
  seeds?: number[];
  minutes?: number;
  strictTtl?: boolean;
  /** Extra environment for the API and workers (K=V), e.g. to adapt to an older checkout. */
  env?: Record<string, string>;
  simEnv?: Record<string, string>;
  /** Fault kinds left out of the schedule (to bisect a violation); `clock-skew` also zeroes the start offsets. */
  skipFaults?: string[];
  /** Violations printed in full (timeline + audit trails); the rest one line each. Default 6. */
  detail?: number;
  out?: (line: string) => void;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  violations: Violation[];
  warnings: Violation[];
  faults: Record<string, number>;
  figures: Record<string, unknown>;
  durationMs: number;
  error?: string;
}

function devicesFor(n: number): string[] {
  const width = Math.max(2, String(n).length);
  return Array.from({ length: n }, (_, i) => `A${String(i + 1).padStart(width, '0')}`);
}

export async function runSeed(seed: number, profile: Profile, o: RunOptions): Promise<SeedResult> {
  const out = o.out ?? ((l: string) => console.log(l));
  const started = Date.now();
  const minutes = o.minutes ?? profile.minutes;
  const loadMs = Math.round(minutes * 60_000);
  const runDir = join(REPO_ROOT, 'test-artifacts', 'nemesis', profile.name, `seed-${seed}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  const rng = createRng(seed);
  const devices = devicesFor(profile.terminals);
  const schedule = planFaults(rng.fork('faults'), profile, loadMs, devices);
  const skip = new Set(o.skipFaults ?? []);
  if (skip.size) {
    schedule.faults = schedule.faults.filter((f) => !skip.has(f.kind));
    if (skip.has('clock-skew')) schedule.clockOffsets = schedule.clockOffsets.map(() => 0);
  }
  const plan = planWorkload(rng.fork('workload'), { seed, loadMs, devices, chargesPerSecond: profile.chargesPerSecond });
  out(`\n══ nemesis seed ${seed} · profile ${profile.name} · ${minutes} min of load · replay: npm run nemesis -- --seed ${seed} --minutes ${minutes} --profile ${profile.name}`);
  out(`   plan ${plan.fingerprint}: ${plan.charges.length} charges, ${plan.refunds.length} refunds, ${plan.reprints.length} reprints, ${plan.replays.length} replays, ${plan.bad.length} bad requests, batch ${plan.batch ? plan.batch.rows.length : 0} rows`);
  out(`   schedule ${schedule.fingerprint}${skip.size ? ` without ${[...skip].join(', ')}` : ''}: ${schedule.faults.length} faults, worker clock offsets ${JSON.stringify(schedule.clockOffsets)}, terminal service ${schedule.simServiceMs} ms`);

  let sys: System | null = null;
  // The nemesis process is also the proxies: if its own event loop lags, requests time out that no
  // fault struck. Measured, and reported when it is large enough to matter.
  const lag = monitorEventLoopDelay({ resolution: 20 });
  const result: SeedResult = { seed, ok: false, violations: [], warnings: [], faults: {}, figures: {}, durationMs: 0 };
  try {
    sys = await startSystem({
      runDir,
      terminals: profile.terminals,
      workers: profile.workers,
      clockOffsets: schedule.clockOffsets,
      env: { ...profile.env, ...o.env },
      sim: { serviceMs: schedule.simServiceMs, followUpMs: profile.sim.followUpMs, printMs: profile.sim.printMs, extraEnv: o.simEnv },
    });
    const s = sys;
    const t0 = Date.now() + 300;
    const timeline = new Timeline(t0);
    s.workers.forEach((w) => timeline.add('start', 'info', w.name, { pid: w.proc.pid, clockOffsetMs: w.clockOffsetMs, redis: w.viaProxy ? 'via partition proxy' : 'direct' }, t0));
    let stopped = false;
    lag.enable();
    const knowledge = knowledgeOf(plan);
    const nemesis = runNemesis(s, schedule, timeline, { startedAt: t0, loadMs, rng: rng.fork('nemesis-runtime'), knowledge });
    const workload = driveWorkload(plan, { knowledge, apiUrl: () => s.apiUrl, redisUrl: s.redisUrl, startedAt: t0, paidWaitMs: 25_000, retryBudgetMs: 30_000, stopped: () => stopped });
    await nemesis.done;
    const healed = await s.heal();
    timeline.add('heal', 'info', undefined, { actions: healed });
    out(`   load done at +${((Date.now() - t0) / 1000).toFixed(1)}s; healed: ${healed.join(', ') || 'nothing left'}`);
    let timer: NodeJS.Timeout | undefined;
    const log = await Promise.race([workload, new Promise<null>((r) => (timer = setTimeout(() => r(null), 120_000)))]);
    clearTimeout(timer);
    stopped = true;
    lag.disable();
    if (!log) throw new Error('the workload did not finish within 120 s after the load');
    await s.gateway.flushLate();
    for (const h of s.gateway.hits) timeline.add(`gw-${h.kind}`, 'hit', h.sig, { when: h.when, ms: h.ms, device: h.device, rule: h.rule }, h.at);
    for (const l of s.gateway.late) if (l.forwardedAt) timeline.add('gw-late', 'late-forward', l.sig, { device: l.device, heldMs: l.forwardedAt - l.arrivedAt, answer: l.answer }, l.forwardedAt);

    const { Redis } = await import('ioredis');
    const redis = new Redis(s.redisUrl, { maxRetriesPerRequest: 5 });
    const ids = [...log.ops.values()].filter((x) => x.acked || !x.skipped).map((x) => x.id);
    const settled = await settle(redis, ids, profile.settleMs).finally(() => redis.disconnect());
    out(`   settled: ${settled.settled ? 'yes' : 'NO'} after ${(settled.waitedMs / 1000).toFixed(1)}s${settled.open.length ? ` (${settled.open.length} still open)` : ''}${settled.settled ? '' : ` jobs ${JSON.stringify(settled.jobs)}`}`);

    const struck = new Set(s.gateway.hits.map((h) => h.sig));
    const res: CheckResult = await check({
      sys: s, log, timeline, firedOn: nemesis.firedOn, late: s.gateway.late, struck, strictTtl: o.strictTtl ?? false,
      reverifyGraceMs: profile.reverifyGraceMs, tag: `s${seed}`, artifacts: join(runDir, 'gateway.json'),
    });
    result.violations = res.violations;
    result.warnings = res.warnings;
    const lagMaxMs = Math.round(lag.max / 1e6);
    if (lagMaxMs > 500) result.warnings.push({ property: 'nemesis-lag', message: `the nemesis' own event loop lagged up to ${lagMaxMs} ms (p99 ${Math.round(lag.percentile(99) / 1e6)} ms): gateway timeouts in that time may be its own, not injected` });
    result.faults = nemesis.applied;
    result.figures = { ...res.figures, nemesisLagMs: { p99: Math.round(lag.percentile(99) / 1e6), max: Math.round(lag.max / 1e6) }, faultsSkipped: nemesis.skipped, settled: settled.settled, settleWaitMs: settled.waitedMs, gatewayRequestsSeenByProxy: s.gateway.seen };
    result.ok = res.violations.length === 0;
    report(out, seed, profile, result, timeline, res.records, o.detail ?? 6);
    writeFileSync(join(runDir, 'report.json'), `${JSON.stringify({ profile: profile.name, minutes, plan: plan.fingerprint, schedule: schedule.fingerprint, ...result, timeline: timeline.sorted() }, null, 2)}\n`);
    writeFileSync(join(runDir, 'timeline.txt'), `${timeline.sorted().map(formatEntry).join('\n')}\n`);
  } catch (err) {
    result.error = (err as Error).stack ?? String(err);
    out(`   ERROR: ${(err as Error).message}`);
    if (sys) out(logTails(sys));
  } finally {
    if (sys) await sys.close().catch(() => undefined);
    killAll();
    rmSync(join(runDir, 'redis'), { recursive: true, force: true });
    result.durationMs = Date.now() - started;
  }
  return result;
}

function report(out: (l: string) => void, seed: number, profile: Profile, r: SeedResult, timeline: Timeline, recs: Map<string, Rec | null>, detail: number): void {
  const f = r.figures;
  out(`── seed ${seed} (profile ${profile.name}) ──`);
  out(`   operations      ${JSON.stringify(f.operations)}`);
  out(`   final states    ${JSON.stringify(f.states)}`);
  out(`   faults applied  ${JSON.stringify(r.faults)}${Object.keys(f.faultsSkipped as object).length ? `  skipped ${JSON.stringify(f.faultsSkipped)}` : ''}`);
  out(`   gateway         ${JSON.stringify(f.gateway)}`);
  out(`   nemesis lag     ${JSON.stringify(f.nemesisLagMs)} ms (event loop of the proxies and the workload driver)`);
  out(`   late deliveries ${JSON.stringify(f.lateDeliveries)} · cancels ${String(f.cancels)} · replays ${String(f.replays)} · bad requests ${String(f.badRequests)} · batch ${JSON.stringify(f.batch)} · FIFO checked on ${String(f.fifoOperationsChecked)} ops`);
  for (const wn of r.warnings) out(`   warning [${wn.property}] ${wn.message}`);
  out(`   violations      ${r.violations.length}`);
  r.violations.forEach((v, i) => {
    out(`\n   ✗ seed ${seed} [${v.property}] ${v.message}`);
    if (i >= detail) return;
    if (v.at) {
      out(`     fault timeline ±10 s around +${((v.at - timeline.t0) / 1000).toFixed(3)}s:`);
      const around = timeline.around(v.at, 10_000);
      for (const e of around.length ? around : [{ t: 0, at: 0, kind: '(nothing)', phase: 'info' as const }]) out(`       ${formatEntry(e)}`);
    }
    for (const id of v.opIds ?? []) {
      const rec = recs.get(id);
      out(`     audit ${id}: ${rec ? `${rec.state}${rec.message ? ` — ${rec.message}` : ''}` : 'no record'}`);
      for (const a of rec?.audit ?? []) {
        const t = a.at ? ((Date.parse(a.at) - timeline.t0) / 1000).toFixed(3) : '?';
        out(`       ${t.padStart(8)}s  ${String(a.event).padEnd(8)} ${JSON.stringify(a.data ?? '').slice(0, 220)}`);
      }
    }
  });
}

export async function runProfile(o: RunOptions): Promise<{ ok: boolean; results: SeedResult[] }> {
  const out = o.out ?? ((l: string) => console.log(l));
  const profile = PROFILES[o.profile];
  const seeds = o.seeds?.length ? o.seeds : profile.seeds;
  const results: SeedResult[] = [];
  const started = Date.now();
  for (const seed of seeds) results.push(await runSeed(seed, profile, o));
  out(`\n══ nemesis summary · profile ${profile.name} · ${((Date.now() - started) / 1000).toFixed(0)} s`);
  for (const r of results) {
    const ops = (r.figures.operations as { sent?: number } | undefined)?.sent ?? 0;
    const faults = Object.values(r.faults).reduce((a, b) => a + b, 0);
    const kinds = [...new Set(r.violations.map((v) => v.property))].join(', ');
    out(`   seed ${String(r.seed).padEnd(6)} ${r.error ? 'ERROR' : r.ok ? 'ok   ' : 'FAIL '} operations ${String(ops).padStart(4)} · faults ${String(faults).padStart(3)} ${JSON.stringify(r.faults)} · violations ${r.violations.length}${kinds ? ` (${kinds})` : ''} · warnings ${r.warnings.length} · ${(r.durationMs / 1000).toFixed(0)} s`);
  }
  return { ok: results.every((r) => r.ok && !r.error), results };
}
