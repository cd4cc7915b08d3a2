/**
 * Scenario 3 — skewed load: 10,000 operations over 200 terminals (50 per terminal on average) with a
 * Zipf(s) spread — a few busy terminals carry long lines, most carry short ones — arriving in a
 * shuffled order, fixed service time 20 ms. Makespan ÷ ideal for ours and the two peers, where
 * ideal = the busiest terminal's operations × service time (a lower bound no dispatcher can beat:
 * one operation per terminal at a time). Plus busy violations, FIFO overtakes and hand-off gaps.
 */
import { lockDelayPeer } from '../peers/lock-delay.js';
import { queuePerTerminalPeer } from '../peers/queue-per-terminal.js';
import type { PlannedOp } from './support/dispatch.js';
import { round, seededRandom, shuffle } from './support/measure.js';
import { deviceName } from './support/orchestrator.js';
import { ourDispatcher } from './support/ours.js';
import { describeEntry, race, type RaceEntry } from './support/race.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from './support/types.js';

const LABEL = '3 skewed load';

export interface SkewOptions {
  terminals: number;
  operations: number;
  /** Zipf exponent: terminal of rank r gets ∝ 1 / r^s of the operations. */
  zipf: number;
  serviceMs: number;
  pollMs: number;
  seed: number;
}

export const SKEW_DEFAULTS: SkewOptions = { terminals: 200, operations: 10_000, zipf: 0.6, serviceMs: 20, pollMs: 5, seed: 7 };
const QUICK: SkewOptions = { terminals: 40, operations: 800, zipf: 0.6, serviceMs: 20, pollMs: 5, seed: 7 };

/** Operation counts per terminal: Zipf weights, rounded by largest remainder to exactly `operations`. */
export function zipfCounts(terminals: number, operations: number, s: number): number[] {
  const w = Array.from({ length: terminals }, (_, i) => 1 / (i + 1) ** s);
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (x / sum) * operations);
  const counts = exact.map(Math.floor);
  let left = operations - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    counts[i]!++;
  }
  return counts;
}

export function skewPlan(o: SkewOptions): { ops: PlannedOp[]; counts: number[] } {
  const counts = zipfCounts(o.terminals, o.operations, o.zipf);
  const random = seededRandom(o.seed);
  // Which terminal is hot is itself random (not A01), and arrivals interleave at random.
  const names = shuffle(Array.from({ length: o.terminals }, (_, i) => deviceName(i, o.terminals)), random);
  const arrivals: string[] = [];
  counts.forEach((c, i) => {
    for (let k = 0; k < c; k++) arrivals.push(names[i]!);
  });
  shuffle(arrivals, random);
  const seq = new Map<string, number>();
  const ops = arrivals.map((device, i) => {
    const n = seq.get(device) ?? 0;
    seq.set(device, n + 1);
    return { orderId: `sk-${i}`, device, seq: n };
  });
  return { ops, counts };
}

export async function skewScenario(ctx: ScenarioContext, opts: Partial<SkewOptions> = {}): Promise<ScenarioResult> {
  const o = { ...(ctx.quick ? QUICK : SKEW_DEFAULTS), ...opts };
  const started = Date.now();
  const { ops, counts } = skewPlan(o);
  const idealMs = Math.max(...counts) * o.serviceMs;
  ctx.log(`${o.operations} operations on ${o.terminals} terminals, busiest ${Math.max(...counts)}, quietest ${Math.min(...counts)}; ideal ${idealMs} ms`);
  const dispatchers = [ourDispatcher({ concurrency: o.terminals }), lockDelayPeer({ concurrency: o.terminals, retryMs: o.serviceMs }), queuePerTerminalPeer()];
  const entries = await race(dispatchers, ops, { devices: o.terminals, serviceMs: o.serviceMs, pollMs: o.pollMs, perDispatcherMs: ctx.budgetMs / 3 - 8_000, log: ctx.log });
  // A run stopped by its budget still bounds its makespan from below: ≥ the time it ran.
  const ratio = (e: RaceEntry) => round((e.run.makespanMs ?? e.run.elapsedMs) / idealMs, 2);
  const [ours, lock, perTerminal] = entries as [RaceEntry, RaceEntry, RaceEntry];
  const timedOut = (e: RaceEntry) => (e.timedOut ? `${e.run.name}: ${e.run.completed}/${ops.length} done when its ${Math.round(e.run.elapsedMs / 1000)} s budget ran out` : undefined);
  const rows: BenchRow[] = [lock, perTerminal].map((peer) => ({
    scenario: LABEL,
    metric: 'makespan ÷ ideal',
    unit: '×',
    measured: ratio(ours),
    atLeast: ours.timedOut,
    target: { op: '<=', value: 1.05 },
    peer: { name: peer.run.name, value: ratio(peer), atLeast: peer.timedOut },
    better: 'lower',
    mustBeatPeer: true,
    note: [timedOut(ours), timedOut(peer)].filter(Boolean).join('; ') || undefined,
  }));
  for (const peer of [lock, perTerminal]) {
    rows.push({ scenario: LABEL, metric: 'busy violations', unit: 'ops', measured: ours.busyViolations, target: { op: '<=', value: 0 }, peer: { name: peer.run.name, value: peer.busyViolations }, better: 'lower' });
  }
  for (const peer of [lock, perTerminal]) {
    rows.push({ scenario: LABEL, metric: 'FIFO overtakes (POSTed before an earlier op of its terminal)', unit: 'ops', measured: ours.fifoOvertakes, peer: { name: peer.run.name, value: peer.fifoOvertakes }, better: 'lower' });
  }
  rows.push({ scenario: LABEL, metric: 'hand-off p99 under load (20 ms service)', unit: 'ms', measured: ours.handoff.p99, target: { op: '<=', value: 20 }, peer: { name: perTerminal.run.name, value: perTerminal.handoff.p99 }, better: 'lower' });
  return {
    id: '3',
    title: `Skewed load: ${o.operations} operations over ${o.terminals} terminals (Zipf s=${o.zipf}), ${o.serviceMs} ms service time`,
    status: entries.some((e) => e.timedOut) ? 'partial' : 'ok',
    durationMs: Date.now() - started,
    rows,
    details: {
      options: o,
      idealMs,
      busiestTerminalOps: Math.max(...counts),
      quietestTerminalOps: Math.min(...counts),
      dispatchers: entries.map((e) => ({ ...describeEntry(e), makespanOverIdeal: ratio(e) })),
    },
  };
}
