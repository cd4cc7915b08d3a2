/**
 * Scenario 4 — scale: 10,000 terminals × 10 waiting operations. Enqueue rate through the producer
 * (the path a store backend takes) — one call per operation from concurrent callers (the HTTP API's
 * path), then the bulk path — and the Redis commands one operation costs, Redis memory per waiting
 * operation (INFO used_memory delta ÷ operations, with a per-key breakdown from MEMORY USAGE), then
 * dispatch throughput with all of them waiting, for a fixed window. Peer: plain BullMQ `add` of the
 * same number of delayed jobs, from as many concurrent callers (what a waiting job costs in BullMQ
 * alone). One queue per terminal is not run at this size: it would need 10,000 workers, each with
 * its own blocking Redis connection.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_OPTIONS } from '../../src/queues/core.js';
import { operationId, terminalMember } from '../../src/store/keys.js';
import { mapLimit, round, sleep } from './support/measure.js';
import { STORE_UID, benchSettings, chargeInput, deviceName, startOrchestrator } from './support/orchestrator.js';
import { diffCounts, perUnit, startBenchRedis, total as sumCounts } from './support/redis.js';
import { startSimProcess } from './support/sim-process.js';
import type { ScenarioContext, ScenarioResult } from './support/types.js';

const LABEL = '4 scale';

export interface ScaleOptions {
  terminals: number;
  opsPerTerminal: number;
  /** Enqueue calls in flight. */
  producers: number;
  /** Dispatch measurement window. */
  dispatchWindowMs: number;
  concurrency: number;
}

export const SCALE_DEFAULTS: ScaleOptions = { terminals: 10_000, opsPerTerminal: 10, producers: 128, dispatchWindowMs: 20_000, concurrency: 100 };
const QUICK: ScaleOptions = { terminals: 1_000, opsPerTerminal: 5, producers: 64, dispatchWindowMs: 5_000, concurrency: 50 };

const order = (o: ScaleOptions) => {
  const ids: { orderId: string; device: string }[] = [];
  for (let seq = 0; seq < o.opsPerTerminal; seq++) {
    for (let t = 0; t < o.terminals; t++) ids.push({ orderId: `sc-${t}-${seq}`, device: deviceName(t, o.terminals) });
  }
  return ids;
};

async function memoryUsage(admin: Redis, keys: string[]): Promise<number | null> {
  if (keys.length === 0) return null;
  const sizes = await Promise.all(keys.map((k) => admin.call('MEMORY', 'USAGE', k, 'SAMPLES', '0') as Promise<number | null>));
  const known = sizes.filter((s): s is number => typeof s === 'number');
  return known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
}

async function rawBullmqPeer(o: ScaleOptions, count: number, deadline: number) {
  const redis = await startBenchRedis();
  const conn = new Redis(redis.url, REDIS_OPTIONS);
  const queue = new Queue('raw', { connection: conn, prefix: '{raw}' });
  try {
    await queue.waitUntilReady();
    const before = await redis.usedMemory();
    const commandsBefore = await redis.commandStats();
    const ids = Array.from({ length: count }, (_, i) => `charge.${STORE_UID}.sc-${i}`);
    const t0 = performance.now();
    const added = await mapLimit(ids, o.producers, async (id) => void (await queue.add('charge A00001 · order sc-0 · NT$100', { opId: id }, { jobId: id, delay: 900_000 })), deadline);
    const ms = performance.now() - t0;
    const commands = sumCounts(diffCounts(await redis.commandStats(), commandsBefore)) / Math.max(1, added);
    const bytes = (await redis.usedMemory()) - before;
    return { added, perSecond: (added / ms) * 1000, commandsPerJob: commands, bytesPerJob: bytes / Math.max(1, added) };
  } finally {
    await queue.close();
    await conn.quit().catch(() => undefined);
    await redis.stop();
  }
}

export async function scaleScenario(ctx: ScenarioContext, opts: Partial<ScaleOptions> = {}): Promise<ScenarioResult> {
  const o = { ...(ctx.quick ? QUICK : SCALE_DEFAULTS), ...opts };
  const started = Date.now();
  const total = o.terminals * o.opsPerTerminal;
  const enqueueDeadline = started + ctx.budgetMs * 0.5;
  const redis = await startBenchRedis();
  const sim = await startSimProcess({ devices: o.terminals, serviceMs: 0 });
  const orch = startOrchestrator({ redisUrl: redis.url, simUrl: sim.url, settings: benchSettings(1) });
  let result: ScenarioResult;
  try {
    await Promise.all([orch.core.deviceQueue.waitUntilReady(), orch.core.statusQueue.waitUntilReady()]);
    const memBefore = await redis.usedMemory();
    ctx.log(`enqueueing ${total} operations (${o.terminals} terminals × ${o.opsPerTerminal})`);
    const plan = order(o);
    // The first fifth one call per operation (a store backend's path), the rest through the bulk
    // path in calls of 500 (imports, batch runs): both rates are reported.
    const singles = plan.slice(0, Math.floor(plan.length / 5));
    const commandsBefore = await redis.commandStats();
    const t0 = performance.now();
    const enqueuedSingle = await mapLimit(singles, o.producers, async (p) => void (await orch.producer.enqueueCharge(chargeInput(p.orderId, p.device))), enqueueDeadline);
    const singleMs = performance.now() - t0;
    const singleRate = (enqueuedSingle / singleMs) * 1000;
    // The plan goes round by round over the fleet: a first round takes free terminals, later rounds
    // join their lines (with the defaults, half and half).
    const singleCommands = diffCounts(await redis.commandStats(), commandsBefore);
    const commandsPerOp = sumCounts(singleCommands) / Math.max(1, enqueuedSingle);
    const chunks: (typeof plan)[] = [];
    for (let i = singles.length; i < plan.length; i += 500) chunks.push(plan.slice(i, i + 500));
    const t1 = performance.now();
    let enqueuedBulk = 0;
    for (const chunk of chunks) {
      if (Date.now() > enqueueDeadline) break;
      const out = await orch.producer.enqueueCharges(chunk.map((p) => chargeInput(p.orderId, p.device)));
      enqueuedBulk += out.filter((x) => x.ok).length;
    }
    const bulkMs = performance.now() - t1;
    const enqueueRate = (enqueuedBulk / bulkMs) * 1000;
    const enqueued = enqueuedSingle + enqueuedBulk;
    const enqueueMs = singleMs + bulkMs;
    const bytes = (await redis.usedMemory()) - memBefore;
    const bytesPerOp = bytes / Math.max(1, enqueued);
    ctx.log(`enqueued ${enqueued} in ${enqueueMs.toFixed(0)} ms (one per call ${singleRate.toFixed(0)}/s, bulk ${enqueueRate.toFixed(0)}/s), ${bytesPerOp.toFixed(0)} B per operation`);

    // Where the bytes go: sampled keys of a terminal in the middle of the fleet.
    const k = orch.core.store.keys;
    const sample = plan.slice(0, Math.min(200, enqueued)).map((p) => operationId('charge', STORE_UID, p.orderId));
    const waitingSample = plan.slice(o.terminals, o.terminals + Math.min(200, Math.max(0, enqueued - o.terminals))).map((p) => operationId('charge', STORE_UID, p.orderId));
    const prefix = orch.core.prefix;
    const members = plan.slice(0, Math.min(200, o.terminals)).map((p) => terminalMember(STORE_UID, p.device));
    const breakdown = {
      opHash: round(await memoryUsage(redis.admin, sample.map((id) => k.op(id))), 0),
      deviceJobHash: round(await memoryUsage(redis.admin, waitingSample.map((id) => `${prefix}:device:${id}`)), 0),
      mailboxPerTerminal: round(await memoryUsage(redis.admin, members.map((m) => k.mailboxLive(m))), 0),
      leaseString: round(await memoryUsage(redis.admin, members.map((m) => k.lease(m))), 0),
      delayedZsetPerJob: round(((await memoryUsage(redis.admin, [`${prefix}:device:delayed`])) ?? 0) / Math.max(1, enqueued - o.terminals), 0),
      devicesZsetPerTerminal: round(((await memoryUsage(redis.admin, [k.devices])) ?? 0) / o.terminals, 0),
      leasesZsetPerTerminal: round(((await memoryUsage(redis.admin, [k.leases])) ?? 0) / o.terminals, 0),
    };

    // Dispatch with every terminal's line full.
    const rt = orch.startWorkers(o.concurrency);
    await Promise.all([rt.device.waitUntilReady(), rt.status.waitUntilReady()]);
    const windowMs = Math.min(o.dispatchWindowMs, Math.max(2_000, started + ctx.budgetMs * 0.8 - Date.now()));
    const f0 = orch.finalCount();
    const d0 = performance.now();
    await sleep(windowMs);
    const dispatched = orch.finalCount() - f0;
    const dispatchRate = (dispatched / (performance.now() - d0)) * 1000;
    ctx.log(`dispatch: ${dispatched} payments final in ${windowMs} ms (${dispatchRate.toFixed(0)}/s)`);
    await Promise.all([rt.device.pause(true), rt.status.pause(true)]).catch(() => undefined);

    const peer = await rawBullmqPeer(o, enqueued, Date.now() + Math.max(10_000, started + ctx.budgetMs - Date.now() - 5_000));
    ctx.log(`raw BullMQ add: ${peer.perSecond.toFixed(0)}/s, ${peer.bytesPerJob.toFixed(0)} B per delayed job`);
    const partial = enqueued < total;
    const note = partial ? `time budget: ${enqueued}/${total} enqueued` : undefined;
    result = {
      id: '4',
      title: `Scale: ${o.terminals} terminals × ${o.opsPerTerminal} waiting operations`,
      status: partial ? 'partial' : 'ok',
      durationMs: Date.now() - started,
      rows: [
        { scenario: LABEL, metric: 'enqueue rate (producer.enqueueCharges, 500 per call)', unit: 'ops/s', measured: round(enqueueRate, 0), target: { op: '>=', value: 10_000 }, peer: { name: 'raw BullMQ add (delayed)', value: round(peer.perSecond, 0) }, better: 'higher', note },
        { scenario: LABEL, metric: `enqueue rate (producer.enqueueCharge, one per call, ${o.producers} concurrent)`, unit: 'ops/s', measured: round(singleRate, 0), target: { op: '>=', value: 10_000 }, peer: { name: `raw BullMQ add (delayed), ${o.producers} concurrent`, value: round(peer.perSecond, 0) }, better: 'higher', note },
        { scenario: LABEL, metric: 'Redis commands per enqueue, one per call (server, incl. inside Lua)', unit: 'cmds', measured: round(commandsPerOp, 1), peer: { name: 'raw BullMQ add', value: round(peer.commandsPerJob, 1) }, better: 'lower', note },
        { scenario: LABEL, metric: 'Redis memory per waiting operation', unit: 'B', measured: round(bytesPerOp, 0), target: { op: '<=', value: 2_048 }, peer: { name: 'raw BullMQ delayed job', value: round(peer.bytesPerJob, 0) }, better: 'lower', note },
        { scenario: LABEL, metric: `dispatch throughput, ${total.toLocaleString('en')} waiting`, unit: 'payments/s', measured: round(dispatchRate, 0), better: 'higher', note: 'no peer: one queue per terminal would need 10,000 workers and blocking connections' },
      ],
      details: { options: o, enqueued, enqueueMs: round(enqueueMs, 0), enqueuedSingle, singleMs: round(singleMs, 0), singleCommandsPerOp: perUnit(singleCommands, Math.max(1, enqueuedSingle)), enqueuedBulk, bulkMs: round(bulkMs, 0), memoryDeltaBytes: bytes, memoryBreakdownBytes: breakdown, dispatched, dispatchWindowMs: windowMs, peer },
    };
  } finally {
    await orch.close();
    await sim.stop();
    await redis.stop();
  }
  return result;
}
