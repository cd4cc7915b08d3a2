/**
 * Scenario 2 — terminal hand-off latency: from an operation's final state to the next operation's
 * POST on the same terminal, p50 / p99. Every terminal has a line of operations waiting when the
 * clock starts (zero service time, dense poll 1 ms), so each gap is the dispatcher's own cost:
 * ours = finish script → wake the next job → a worker picks it up → POST; the queue-per-terminal
 * peer = complete the job → fetch the next; the lock peer = release → a delayed retry fires.
 */
import { queuePerTerminalPeer } from '../peers/queue-per-terminal.js';
import { lockDelayPeer } from '../peers/lock-delay.js';
import type { PlannedOp } from './support/dispatch.js';
import { round } from './support/measure.js';
import { deviceName } from './support/orchestrator.js';
import { ourDispatcher } from './support/ours.js';
import { describeEntry, race } from './support/race.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from './support/types.js';

const LABEL = '2 hand-off';

export interface HandoffOptions {
  terminals: number;
  opsPerTerminal: number;
  pollMs: number;
}

export const HANDOFF_DEFAULTS: HandoffOptions = { terminals: 50, opsPerTerminal: 20, pollMs: 1 };
const QUICK: HandoffOptions = { terminals: 10, opsPerTerminal: 10, pollMs: 1 };

export function linePlan(terminals: number, perTerminal: number, tag: string): PlannedOp[] {
  const ops: PlannedOp[] = [];
  for (let seq = 0; seq < perTerminal; seq++) {
    for (let t = 0; t < terminals; t++) ops.push({ orderId: `${tag}-${t}-${seq}`, device: deviceName(t, terminals), seq });
  }
  return ops;
}

export async function handoffScenario(ctx: ScenarioContext, opts: Partial<HandoffOptions> = {}): Promise<ScenarioResult> {
  const o = { ...(ctx.quick ? QUICK : HANDOFF_DEFAULTS), ...opts };
  const started = Date.now();
  const ops = linePlan(o.terminals, o.opsPerTerminal, 'ho');
  const dispatchers = [ourDispatcher({ concurrency: 100 }), queuePerTerminalPeer(), lockDelayPeer({ concurrency: Math.max(50, o.terminals * 2), retryMs: 20 })];
  const entries = await race(dispatchers, ops, { devices: o.terminals, serviceMs: 0, pollMs: o.pollMs, perDispatcherMs: ctx.budgetMs / 3 - 5_000, log: ctx.log });
  const [ours, perTerminal, lock] = entries as [typeof entries[0], typeof entries[0], typeof entries[0]];
  const rows: BenchRow[] = [];
  for (const p of ['p50', 'p99'] as const) {
    for (const peer of [perTerminal, lock]) {
      rows.push({
        scenario: LABEL,
        metric: `hand-off ${p} (final → next POST)`,
        unit: 'ms',
        measured: ours.handoff[p],
        target: p === 'p99' ? { op: '<=', value: 20 } : undefined,
        peer: { name: peer.run.name, value: peer.handoff[p] },
        better: 'lower',
        mustBeatPeer: true,
        note: ours.timedOut ? `time budget: ${ours.run.completed}/${ops.length} done` : undefined,
      });
    }
  }
  rows.push(...phaseRows(ours.run.extra?.handoffSplitMs as Phases | undefined, ctx));
  return {
    id: '2',
    title: `Terminal hand-off latency, ${o.terminals} terminals × ${o.opsPerTerminal} operations, zero service time`,
    status: entries.some((e) => e.timedOut) ? 'partial' : 'ok',
    durationMs: Date.now() - started,
    rows,
    details: { options: o, lockRetryMs: 20, dispatchers: entries.map(describeEntry), handoffMeanMs: entries.map((e) => round(e.handoff.mean, 2)) },
  };
}

type Phases = Record<'finalToPromoted' | 'promotedToActive' | 'activeToClaimed' | 'claimedToPost' | 'finalToPost', { p50: number; p99: number }>;

const PHASES: [keyof Phases, string][] = [
  ['finalToPromoted', 'final recorded → next job promoted'],
  ['promotedToActive', 'promoted → fetched by a worker'],
  ['activeToClaimed', 'fetched → claimed'],
  ['claimedToPost', 'claimed → POST at the gateway'],
  ['finalToPost', 'final recorded → POST at the gateway'],
];

/** Our hand-off broken into its phases (support/ours.ts splitHandoffs): where the time goes. */
function phaseRows(split: Phases | undefined, ctx: ScenarioContext): BenchRow[] {
  if (!split) return [];
  ctx.log(`ours, hand-off phases p50/p99 ms: ${PHASES.map(([k, name]) => `${name} ${split[k].p50}/${split[k].p99}`).join('; ')}`);
  return PHASES.map(([k, name]) => ({ scenario: LABEL, metric: `ours, phase p99: ${name}`, unit: 'ms', measured: split[k].p99, better: 'lower' as const, note: `p50 ${split[k].p50} ms` }));
}
