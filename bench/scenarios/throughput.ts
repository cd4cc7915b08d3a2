/**
 * Scenario 1 — throughput. Raw BullMQ (add + no-op process) jobs/s against our full charge
 * lifecycle payments/s (enqueue → charge POST → ≥ 1 querydirect → final record → terminal released)
 * against the simulator with zero service time, both on their own fresh Redis, measured back to
 * back; plus Redis commands per payment, server-side (INFO commandstats, which also counts calls
 * made inside Lua scripts) and client-side (round trips, by command and script).
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_OPTIONS } from '../../src/queues/core.js';
import { startCounting, stopCounting, type CommandCounts } from './support/command-counter.js';
import { mapLimit, round, waitUntil } from './support/measure.js';
import { benchSettings, chargeInput, deviceName, startOrchestrator } from './support/orchestrator.js';
import { diffCounts, perUnit, startBenchRedis, total } from './support/redis.js';
import { startSimProcess } from './support/sim-process.js';
import type { ScenarioContext, ScenarioResult } from './support/types.js';

const LABEL = '1 throughput';

export interface ThroughputOptions {
  rawJobs: number;
  payments: number;
  terminals: number;
  /** Jobs in flight per queue in the worker process (ours: device and status each; raw: the one queue). */
  concurrency: number;
  /** Enqueue calls in flight. */
  producers: number;
}

export const THROUGHPUT_DEFAULTS: ThroughputOptions = { rawJobs: 20_000, payments: 4_000, terminals: 200, concurrency: 100, producers: 64 };
const QUICK: ThroughputOptions = { rawJobs: 2_000, payments: 400, terminals: 50, concurrency: 50, producers: 32 };

interface Run {
  done: number;
  elapsedMs: number;
  perSecond: number;
  serverCommands: Map<string, number>;
  client: CommandCounts;
  finished: boolean;
}

export async function rawBullmq(o: ThroughputOptions, deadline: number): Promise<Run> {
  const redis = await startBenchRedis();
  const conn = new Redis(redis.url, REDIS_OPTIONS);
  const prefix = '{raw}';
  const queue = new Queue('raw', { connection: conn, prefix });
  let done = 0;
  const worker = new Worker('raw', async () => undefined, { connection: conn, prefix, concurrency: o.concurrency });
  worker.on('completed', () => done++);
  try {
    await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
    const before = await redis.commandStats();
    const client = startCounting();
    const t0 = performance.now();
    const ids = Array.from({ length: o.rawJobs }, (_, i) => `job-${i}`);
    await mapLimit(ids, o.producers, async (id) => void (await queue.add('noop', { opId: id })), deadline);
    const finished = await waitUntil(() => done >= o.rawJobs, deadline, 2);
    const elapsedMs = performance.now() - t0;
    stopCounting();
    const serverCommands = diffCounts(await redis.commandStats(), before);
    return { done, elapsedMs, perSecond: (done / elapsedMs) * 1000, serverCommands, client, finished };
  } finally {
    stopCounting();
    await worker.close();
    await queue.close();
    await conn.quit().catch(() => undefined);
    await redis.stop();
  }
}

export async function ourLifecycle(o: ThroughputOptions, deadline: number): Promise<Run & { states: Record<string, number> }> {
  const redis = await startBenchRedis();
  const sim = await startSimProcess({ devices: o.terminals, serviceMs: 0 });
  const orch = startOrchestrator({ redisUrl: redis.url, simUrl: sim.url, settings: benchSettings(1) });
  try {
    const rt = orch.startWorkers(o.concurrency);
    await Promise.all([rt.device.waitUntilReady(), rt.status.waitUntilReady(), orch.core.deviceQueue.waitUntilReady(), orch.core.statusQueue.waitUntilReady()]);
    // Warm up scripts and connections outside the measurement.
    await orch.producer.enqueueCharge(chargeInput('warmup', deviceName(0, o.terminals)));
    await orch.waitForFinals(1, deadline);
    const base = orch.finalCount();
    const before = await redis.commandStats();
    const client = startCounting();
    const t0 = performance.now();
    const orders = Array.from({ length: o.payments }, (_, i) => i);
    await mapLimit(orders, o.producers, async (i) => void (await orch.producer.enqueueCharge(chargeInput(`tp-${i}`, deviceName(i % o.terminals, o.terminals)))), deadline);
    const finished = await orch.waitForFinals(base + o.payments, deadline);
    const elapsedMs = performance.now() - t0;
    stopCounting();
    const serverCommands = diffCounts(await redis.commandStats(), before);
    const done = orch.finalCount() - base;
    return { done, elapsedMs, perSecond: (done / elapsedMs) * 1000, serverCommands, client, finished, states: Object.fromEntries(orch.finals) };
  } finally {
    stopCounting();
    await orch.close();
    await sim.stop();
    await redis.stop();
  }
}

export async function throughputScenario(ctx: ScenarioContext, opts: Partial<ThroughputOptions> = {}): Promise<ScenarioResult> {
  const o = { ...(ctx.quick ? QUICK : THROUGHPUT_DEFAULTS), ...opts };
  const started = Date.now();
  const deadline = started + ctx.budgetMs;
  ctx.log(`raw BullMQ: ${o.rawJobs} jobs, concurrency ${o.concurrency}`);
  const raw = await rawBullmq(o, started + ctx.budgetMs * 0.3);
  ctx.log(`raw BullMQ: ${raw.perSecond.toFixed(0)} jobs/s; ours: ${o.payments} payments over ${o.terminals} terminals`);
  const ours = await ourLifecycle(o, deadline);
  ctx.log(`ours: ${ours.perSecond.toFixed(0)} payments/s (${ours.done}/${o.payments})`);

  const oursCmds = total(ours.serverCommands) / Math.max(1, ours.done);
  const rawCmds = total(raw.serverCommands) / Math.max(1, raw.done);
  const oursTrips = ours.client.total / Math.max(1, ours.done);
  const rawTrips = raw.client.total / Math.max(1, raw.done);
  const partial = !ours.finished || !raw.finished;
  const notes = (r: Run, what: string) => (r.finished ? undefined : `time budget: ${r.done} ${what} done`);
  return {
    id: '1',
    title: 'Raw BullMQ jobs/s vs our charge lifecycle payments/s (simulator, zero service time)',
    status: partial ? 'partial' : 'ok',
    durationMs: Date.now() - started,
    rows: [
      { scenario: LABEL, metric: 'charge lifecycle', unit: 'payments/s', measured: round(ours.perSecond, 0), target: { op: '>=', value: 1_000 }, peer: { name: 'raw BullMQ no-op', value: round(raw.perSecond, 0) }, better: 'higher', note: notes(ours, 'payments') ?? notes(raw, 'raw jobs') },
      { scenario: LABEL, metric: 'Redis commands per payment (server, incl. inside Lua)', unit: 'cmds', measured: round(oursCmds, 1), peer: { name: 'raw BullMQ per job', value: round(rawCmds, 1) }, better: 'lower' },
      { scenario: LABEL, metric: 'commands sent per payment (client)', unit: 'cmds', measured: round(oursTrips, 1), peer: { name: 'raw BullMQ per job', value: round(rawTrips, 1) }, better: 'lower', note: `${round((ours.client.pipelined / Math.max(1, ours.done)), 1)} of them pipelined` },
    ],
    details: {
      options: o,
      ours: {
        payments: ours.done, elapsedMs: round(ours.elapsedMs, 0), finished: ours.finished, states: ours.states,
        serverCommandsPerPayment: perUnit(ours.serverCommands, ours.done),
        clientCommandsPerPayment: perUnit(ours.client.byName, ours.done),
        pipelinedPerPayment: round(ours.client.pipelined / Math.max(1, ours.done), 2),
      },
      raw: {
        jobs: raw.done, elapsedMs: round(raw.elapsedMs, 0), finished: raw.finished,
        serverCommandsPerJob: perUnit(raw.serverCommands, raw.done),
        clientCommandsPerJob: perUnit(raw.client.byName, raw.done),
      },
    },
  };
}
