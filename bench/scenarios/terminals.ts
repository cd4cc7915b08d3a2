/**
 * Scenario R — realistic terminals: the gateway's load is part of performance. A customer takes
 * 8–40 s at a terminal (tap or insert, PIN). Each configuration of the status follow-up runs the same
 * payments (a few per terminal, one after the other, on terminals of its own) against the simulator
 * in its own process — the same customer times too: payment i of every configuration takes the same
 * time, drawn once from a seeded generator (the terminal's 8 s, then the rest as the outcome script's
 * delay of the final prc, `POST /_sim/orders`), so configurations differ by their schedules only — and
 * reports what the gateway pays for our answers — status queries per payment,
 * counted at the simulator — and what the merchant waits: the delay from the terminal's final state
 * (the simulator's `finishedAt`) to our final record (`finished`), p50 and p99. The configurations run
 * side by side, one orchestrator each on a tag of its own, so every one meets the same machine at the
 * same moment: their figures differ by their schedules, not by what else ran on the machine then.
 *
 * Time runs {@link SCALE}× faster than real so a run takes seconds: the service times, every interval
 * of the schedule, the callbacks' coalescing window, the in-job wait (`inlineWaitMs`) and Redis' timer
 * (`hz`, which wakes delayed jobs) are all divided by it, and delays are reported multiplied back, in
 * real seconds. What is not scaled is the orchestrator's own time per poll (a few ms, stretched
 * {@link SCALE}× in real terms): polls come a little further apart than the schedule says, alike in
 * every configuration. The cap on queries is per wall-clock second and measured as such.
 *
 * Configurations: the classic schedule (every 2 s for the 3-minute window: the peer); the tuned one
 * (quiet 6 s, every 2 s to 60 s, every 5 s to the window's end); the tuned one with the gateway's
 * callbacks as hints (a receiver hands them to the API's callback handler, `callbackHint`); callbacks
 * with a sparse backstop (every 10 s after the quiet phase); and the tuned one under a per-store cap on
 * queries low enough to bind. Invariants checked in every configuration: one charge POST per
 * operation at the simulator, every operation final (paid), no busy violation.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { callbackHint } from '../../src/api/callback-hint.js';
import { DEFAULT_POLL_SCHEDULE, type PollScheduleOptions } from '../../src/domain/operation/schedule.js';
import { DEFAULT_CALLBACK_COALESCE_MS } from '../../src/producers/callbacks.js';
import type { Core } from '../../src/queues/core.js';
import type { SettingsInput } from '../../src/queues/settings.js';
import { readBody } from '../../src/simulator/http-io.js';
import { operationId } from '../../src/store/keys.js';
import { busiestSecond, round, seededRandom, summarize } from './support/measure.js';
import { benchSettings, chargeInput, deviceName, startOrchestrator, STORE_UID, type Orchestrator } from './support/orchestrator.js';
import { startBenchRedis, type BenchRedis } from './support/redis.js';
import { startSimProcess, type SimProcess } from './support/sim-process.js';
import type { BenchRow, ScenarioContext, ScenarioResult } from './support/types.js';

const LABEL = 'R terminals';
/** Real time ÷ bench time. */
const SCALE = 5;
const REAL_SERVICE_MS = { min: 8_000, max: 40_000 };
/** Redis' default timer frequency, scaled like everything else. */
const REDIS_HZ = 10 * SCALE;

interface Config {
  id: string;
  name: string;
  /** Real-world timings, scaled when run. */
  poll: Partial<PollScheduleOptions>;
  callbacks?: boolean;
  /** A per-store cap on queries at half what the terminals ask in their dense phase (per wall-clock second). */
  capped?: boolean;
}

const CLASSIC: Partial<PollScheduleOptions> = { denseIntervalMs: 2_000 };
const TUNED: Partial<PollScheduleOptions> = { denseIntervalMs: 2_000, quietMs: 6_000, denseUntilMs: 60_000, tailIntervalMs: 5_000 };
const CONFIGS: Config[] = [
  { id: 'classic', name: 'classic: every 2 s for 3 min', poll: CLASSIC },
  { id: 'tuned', name: 'tuned: quiet 6 s, every 2 s to 60 s, 5 s to 3 min', poll: TUNED },
  { id: 'hints', name: 'tuned + callbacks as hints', poll: TUNED, callbacks: true },
  { id: 'backstop', name: 'callbacks + every 10 s after the quiet 6 s', poll: { ...TUNED, denseUntilMs: 0, tailIntervalMs: 10_000 }, callbacks: true },
  { id: 'capped', name: 'tuned, cap at half the dense demand', poll: TUNED, capped: true },
];

interface Options {
  terminals: number;
  /** Payments per terminal, one after the other (the terminal's line hands it on). */
  perTerminal: number;
}
// Terminals per configuration: few enough that the orchestrator keeps up with all five schedules'
// queries at once (2.5 per terminal per wall-clock second in the dense phase at this scale) on a
// loaded 2-core machine: the figures are the schedules', not the machine's capacity.
const DEFAULTS: Options = { terminals: 12, perTerminal: 3 };
const QUICK: Options = { terminals: 6, perTerminal: 2 };

/** Half the queries per wall-clock second the terminals ask while all are in the dense phase. */
const capFor = (o: Options) => Math.round((o.terminals * SCALE * 1_000) / (TUNED.denseIntervalMs! * 2));

interface Outcome {
  config: Config;
  capPerSecond?: number;
  payments: number;
  completed: number;
  queries: number;
  /** Terminal's final state → our final record, real seconds. */
  delay: ReturnType<typeof summarize>;
  /** Most queries that reached the gateway within any one wall-clock second. */
  busiestSecond: number;
  maxPostsPerOperation: number;
  notFinal: number;
}

/** Every real-world duration of the schedule, in bench time. */
function settingsFor(c: Config): SettingsInput {
  const real: PollScheduleOptions = { ...DEFAULT_POLL_SCHEDULE, ...c.poll };
  const poll = Object.fromEntries(Object.entries(real).map(([k, v]) => [k, (v as number) / SCALE])) as unknown as PollScheduleOptions;
  return { ...benchSettings(poll.denseIntervalMs), inlineWaitMs: 250 / SCALE, poll };
}

async function simGet<T>(sim: SimProcess, path: string): Promise<T> {
  const res = await request(`${sim.origin}${path}`);
  return (await res.body.json()) as T;
}

/** The order is paid `restMs` after the terminal's own time (the customer still at it; prc 200 meanwhile). */
async function simScript(sim: SimProcess, orderId: string, restMs: number): Promise<void> {
  const res = await request(`${sim.origin}/_sim/orders`, { method: 'POST', body: JSON.stringify({ order_id: orderId, outcome: [{ prc: '250', afterMs: restMs }] }), headers: { 'content-type': 'application/json' } });
  await res.body.dump();
}

/** The simulator posts every order's result callback to `url`. */
async function simCallbacks(sim: SimProcess, url: string): Promise<void> {
  const res = await request(`${sim.origin}/_sim/callbacks`, { method: 'POST', body: JSON.stringify({ url }), headers: { 'content-type': 'application/json' } });
  await res.body.dump();
}

/**
 * The gateway's callbacks, handed to the API's own handler (`POST /v1/callbacks/mypay` without its
 * HTTP guards) of the configuration whose order it is; those of configurations without callbacks are
 * dropped, as by a store that never registered a callback URL.
 */
async function startCallbackReceiver(cores: Map<string, Core>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    readBody(req)
      .then(async (body) => {
        const fields = Object.fromEntries(new URLSearchParams(body));
        const core = cores.get(String(fields.order_id).split('-')[0] ?? '');
        if (core) await callbackHint(core, [STORE_UID], fields, STORE_UID, { coalesceMs: DEFAULT_CALLBACK_COALESCE_MS / SCALE });
      })
      .then(() => res.writeHead(200).end(), () => res.writeHead(500).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callbacks`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

interface JournalEntry { seq: number; at: number; cmd: string; request: { order_id?: string } }
interface SimOrder { order_id: string; finishedAt?: number }

interface Running {
  config: Config;
  orch: Orchestrator;
  orderIds: string[];
  capPerSecond?: number;
  /** Scripts each payment's customer time at the simulator, then enqueues them all. */
  start(): Promise<unknown>;
}

/**
 * Configuration `k` of them all: its orchestrator, workers ready, and its payments on terminals of its
 * own, payment i taking the terminal's 8 s plus `restMs[i]` (bench time).
 */
async function startConfig(c: Config, k: number, restMs: number[], redis: BenchRedis, sim: SimProcess, o: Options): Promise<Running> {
  const capPerSecond = c.capped ? capFor(o) : undefined;
  const orch = startOrchestrator({ redisUrl: redis.url, simUrl: sim.url, tag: `r-${c.id}`, settings: settingsFor(c), queriesPerSecond: capPerSecond });
  const rt = orch.startWorkers(o.terminals);
  await Promise.all([rt.device.waitUntilReady(), rt.status.waitUntilReady()]);
  const payments = Array.from({ length: o.terminals * o.perTerminal }, (_, i) => ({ id: `${c.id}-${i}`, device: deviceName(k * o.terminals + (i % o.terminals), CONFIGS.length * o.terminals) }));
  return {
    config: c, orch, capPerSecond,
    orderIds: payments.map((p) => p.id),
    async start() {
      await Promise.all(payments.map((p, i) => simScript(sim, p.id, restMs[i]!)));
      await Promise.all(payments.map((p) => orch.producer.enqueueCharge(chargeInput(p.id, p.device))));
    },
  };
}

async function runAll(redis: BenchRedis, sim: SimProcess, o: Options, deadline: number): Promise<Outcome[]> {
  const running: Running[] = [];
  const callbackCores = new Map<string, Core>();
  const receiver = await startCallbackReceiver(callbackCores);
  const random = seededRandom(17);
  const restMs = Array.from({ length: o.terminals * o.perTerminal }, () => Math.round((random() * (REAL_SERVICE_MS.max - REAL_SERVICE_MS.min)) / SCALE));
  try {
    for (const [k, c] of CONFIGS.entries()) {
      const r = await startConfig(c, k, restMs, redis, sim, o);
      running.push(r);
      if (c.callbacks) callbackCores.set(c.id, r.orch.core);
    }
    await simCallbacks(sim, receiver.url);
    await Promise.all(running.map((r) => r.start()));
    await Promise.all(running.map(({ orch, orderIds }) => orch.waitForFinals(orderIds.length, deadline)));
    const [journal, orders, stats] = await Promise.all([simGet<JournalEntry[]>(sim, '/_sim/journal'), simGet<SimOrder[]>(sim, '/_sim/orders'), sim.stats()]);
    return await Promise.all(running.map((r) => measure(r, { journal, orders, chargePosts: stats.chargePosts })));
  } finally {
    await receiver.close();
    await Promise.all(running.map((r) => r.orch.close()));
  }
}

interface AtTheGateway {
  journal: JournalEntry[];
  orders: SimOrder[];
  chargePosts: Record<string, number>;
}

async function measure(r: Running, gw: AtTheGateway): Promise<Outcome> {
  const { orderIds } = r;
  const mine = new Set(orderIds);
  const records = await r.orch.core.store.getMany(orderIds.map((id) => operationId('charge', STORE_UID, id)));
  const queries = gw.journal.filter((e) => e.cmd === 'api/querydirect' && mine.has(e.request.order_id ?? ''));
  const terminalDone = new Map(gw.orders.filter((ord) => mine.has(ord.order_id)).map((ord) => [ord.order_id, ord.finishedAt]));
  const delays = records.flatMap((rec) => {
    const at = rec?.order_id ? terminalDone.get(rec.order_id) : undefined;
    return rec?.finished !== undefined && at !== undefined ? [((rec.finished - at) * SCALE) / 1_000] : [];
  });
  return {
    config: r.config,
    capPerSecond: r.capPerSecond,
    payments: orderIds.length,
    completed: r.orch.finalCount(),
    queries: queries.length,
    delay: summarize(delays),
    busiestSecond: busiestSecond(queries.map((e) => e.at)),
    maxPostsPerOperation: Math.max(...orderIds.map((id) => gw.chargePosts[id] ?? 0)),
    notFinal: records.filter((rec) => rec?.state !== 'paid').length,
  };
}

function rows(results: Outcome[], busyViolations: number): BenchRow[] {
  const classic = results.find((r) => r.config.id === 'classic');
  const perPayment = (r: Outcome) => round(r.queries / Math.max(1, r.completed), 1);
  const peer = (name: string, value: number | null) => (classic ? { name: `${CONFIGS[0]!.name}: ${name}`, value } : undefined);
  const out: BenchRow[] = [];
  for (const r of results.filter((x) => x !== classic)) {
    out.push(
      { scenario: LABEL, metric: `${r.config.name}: gateway queries per payment`, unit: 'queries', measured: perPayment(r), peer: peer('queries', classic ? perPayment(classic) : null), better: 'lower' },
      { scenario: LABEL, metric: `${r.config.name}: terminal final → our record p50`, unit: 's', measured: round(r.delay.p50, 1), peer: peer('p50', round(classic?.delay.p50 ?? null, 1)), better: 'lower' },
      { scenario: LABEL, metric: `${r.config.name}: terminal final → our record p99`, unit: 's', measured: round(r.delay.p99, 1), peer: peer('p99', round(classic?.delay.p99 ?? null, 1)), better: 'lower' },
    );
  }
  const capped = results.find((r) => r.capPerSecond !== undefined);
  if (capped) {
    out.push({ scenario: LABEL, metric: `${capped.config.name} (${capped.capPerSecond} queries per wall-clock s): most queries at the gateway in any 1 s`, unit: 'queries', measured: capped.busiestSecond, target: { op: '<=', value: capped.capPerSecond! }, peer: classic ? { name: 'classic, no cap', value: classic.busiestSecond } : undefined, better: 'lower' });
  }
  const all = results.reduce((n, r) => n + r.payments, 0);
  out.push(
    { scenario: LABEL, metric: 'payments completed (paid), every configuration', unit: 'payments', measured: results.reduce((n, r) => n + r.completed, 0), target: { op: '>=', value: all } },
    { scenario: LABEL, metric: 'operations not final (paid) at the end', unit: 'ops', measured: results.reduce((n, r) => n + r.notFinal, 0), target: { op: '<=', value: 0 } },
    { scenario: LABEL, metric: 'charge POSTs per operation at the simulator (max)', unit: 'POSTs', measured: Math.max(...results.map((r) => r.maxPostsPerOperation)), target: { op: '<=', value: 1 } },
    { scenario: LABEL, metric: 'busy violations', unit: 'ops', measured: busyViolations, target: { op: '<=', value: 0 } },
  );
  return out;
}

export async function terminalsScenario(ctx: ScenarioContext): Promise<ScenarioResult> {
  const o = ctx.quick ? QUICK : DEFAULTS;
  const started = Date.now();
  const redis = await startBenchRedis(['--hz', String(REDIS_HZ)]);
  const sim = await startSimProcess({ devices: CONFIGS.length * o.terminals, serviceMs: REAL_SERVICE_MS.min / SCALE, journalSize: 50_000 });
  try {
    const results = await runAll(redis, sim, o, started + ctx.budgetMs - 5_000);
    for (const r of results) {
      ctx.log(`${r.config.name}: ${r.completed}/${r.payments} paid, ${(r.queries / Math.max(1, r.completed)).toFixed(1)} queries/payment, final → record p50 ${r.delay.p50?.toFixed(1)} s / p99 ${r.delay.p99?.toFixed(1)} s (real), busiest second ${r.busiestSecond} queries`);
    }
    const stats = await sim.stats();
    const complete = results.every((r) => r.completed === r.payments);
    return {
      id: 'R',
      title: `Realistic terminals (8–40 s service, time ×1/${SCALE}): gateway queries per payment and terminal final → our record, per follow-up schedule`,
      status: complete ? 'ok' : 'partial',
      reason: complete ? undefined : 'time budget: some payments not final',
      durationMs: Date.now() - started,
      rows: rows(results, stats.busyViolations),
      details: { options: o, scale: SCALE, results },
    };
  } finally {
    await sim.stop();
    await redis.stop();
  }
}
