/**
 * Our dispatcher under the {@link Dispatcher} contract: operations enqueued through the producer
 * (per-terminal mailboxes; the first of each line holds the lease), the device queue paused until
 * the clock starts, then device + status workers as `npm start` runs them. Times come from the
 * operation records: `first_sent` (the POST) and `finished` (the final state), both ms. It uses
 * the orchestrator's own gateway client, built with the same options as the one the peers get.
 */
import type { GatewayClient } from '../../../src/gateway/index.js';
import type { Core } from '../../../src/queues/core.js';
import { operationId } from '../../../src/store/keys.js';
import type { Dispatcher, DispatchRun, OpTimes, PlannedOp } from './dispatch.js';
import { mapLimit, summarize } from './measure.js';
import { STORE_UID, benchSettings, chargeInput, startOrchestrator } from './orchestrator.js';

export function ourDispatcher(options: { concurrency?: number } = {}): Dispatcher {
  return {
    name: 'ours (mailbox + lease)',
    async run(ops, env, _gateway: GatewayClient): Promise<DispatchRun> {
      const orch = startOrchestrator({ redisUrl: env.redisUrl, simUrl: env.simUrl, settings: benchSettings(env.pollMs) });
      const concurrency = options.concurrency ?? 100;
      let runs = 0;
      try {
        await orch.core.deviceQueue.pause();
        await mapLimit(ops, 64, async (o) => void (await orch.producer.enqueueCharge(chargeInput(o.orderId, o.device))));
        const rt = orch.startWorkers(concurrency);
        rt.device.on('active', () => runs++);
        rt.status.on('active', () => runs++);
        await Promise.all([rt.device.waitUntilReady(), rt.status.waitUntilReady()]);
        const t0 = Date.now();
        await orch.core.deviceQueue.resume();
        const all = await orch.waitForFinals(ops.length, env.deadline);
        const elapsedMs = Date.now() - t0;
        const records = await orch.core.store.getMany(ops.map((o) => operationId('charge', STORE_UID, o.orderId)));
        const times = new Map<string, OpTimes>();
        let lastFinal = 0;
        ops.forEach((o, i) => {
          const r = records[i];
          times.set(o.orderId, { postAt: r?.first_sent, acceptedAt: r?.accepted, finalAt: r?.finished, state: r?.state, polls: r?.polls });
          if (r?.finished) lastFinal = Math.max(lastFinal, r.finished);
        });
        const handoffSplit = await splitHandoffs(orch.core, ops, times, env.simUrl);
        const errors = [...orch.finals].filter(([s]) => s !== 'paid').reduce((n, [, c]) => n + c, 0);
        return {
          name: this.name, completed: orch.finalCount(), times, errors, elapsedMs,
          makespanMs: all && errors === 0 ? lastFinal - t0 : null,
          jobRunsPerOp: runs / Math.max(1, ops.length),
          extra: { concurrency, states: Object.fromEntries(orch.finals), handoffSplitMs: handoffSplit },
        };
      } finally {
        await orch.close();
      }
    },
  };
}

/**
 * Splits each hand-off gap into its phases, each from the clock of the step that made it (one host):
 * previous final (record `finished`) → the next job promoted (BullMQ's `waiting` event in the device
 * queue's event stream: Redis' time; the finish script promotes it itself) → active (`processedOn`,
 * a worker fetched it) → claimed (the `request` audit entry, written by the claim script: Redis' time)
 * → the POST arrived at the gateway (the simulator's journal).
 */
async function splitHandoffs(core: Core, ops: readonly PlannedOp[], times: Map<string, OpTimes>, simUrl: string) {
  const ids = ops.map((o) => operationId('charge', STORE_UID, o.orderId));
  const pipe = core.redis.pipeline();
  for (const id of ids) pipe.hget(`${core.prefix}:${core.deviceQueue.name}:${id}`, 'processedOn');
  for (const id of ids) pipe.xrange(core.store.keys.audit(id), '-', '+', 'COUNT', 1);
  const res = (await pipe.exec()) ?? [];
  const promotedAt = await promotions(core);
  const arrivedAt = await postArrivals(simUrl);
  const byDevice = new Map<string, { postAt: number; finalAt?: number; promotedAt?: number; activeAt?: number; claimedAt?: number; arrivedAt?: number }[]>();
  ops.forEach((o, i) => {
    const t = times.get(o.orderId);
    if (t?.postAt === undefined) return;
    const audit = (res[ids.length + i]?.[1] as [string, string[]][] | null)?.[0];
    let list = byDevice.get(o.device);
    if (!list) byDevice.set(o.device, (list = []));
    list.push({
      postAt: t.postAt, finalAt: t.finalAt, promotedAt: promotedAt.get(ids[i]!), activeAt: Number(res[i]?.[1]) || undefined,
      claimedAt: audit ? Number(audit[0].split('-')[0]) : undefined, arrivedAt: arrivedAt.get(o.orderId),
    });
  });
  const phase = { finalToPromoted: [] as number[], promotedToActive: [] as number[], activeToClaimed: [] as number[], claimedToPost: [] as number[], finalToPost: [] as number[] };
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.postAt - b.postAt);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!.finalAt;
      const c = list[i]!;
      if (prev === undefined || c.promotedAt === undefined || c.activeAt === undefined || c.claimedAt === undefined || c.arrivedAt === undefined) continue;
      phase.finalToPromoted.push(c.promotedAt - prev);
      phase.promotedToActive.push(c.activeAt - c.promotedAt);
      phase.activeToClaimed.push(c.claimedAt - c.activeAt);
      phase.claimedToPost.push(c.arrivedAt - c.claimedAt);
      phase.finalToPost.push(c.arrivedAt - prev);
    }
  }
  const brief = (v: number[]) => {
    const s = summarize(v);
    return { p50: s.p50, p99: s.p99 };
  };
  return Object.fromEntries(Object.entries(phase).map(([k, v]) => [k, brief(v)])) as Record<keyof typeof phase, { p50: number; p99: number }>;
}

/** When each device job was promoted from delayed (parked) to waiting, from the queue's event stream. */
async function promotions(core: Core): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const rows = (await core.redis.xrange(core.deviceQueue.toKey('events'), '-', '+')) as [string, string[]][];
  for (const [sid, f] of rows) {
    const m: Record<string, string> = {};
    for (let i = 0; i + 1 < f.length; i += 2) m[f[i]!] = f[i + 1]!;
    if (m.event === 'waiting' && m.prev === 'delayed' && m.jobId) out.set(m.jobId, Number(sid.split('-')[0]));
  }
  return out;
}

/** When each charge POST reached the simulator (its journal), by order id. */
async function postArrivals(simUrl: string): Promise<Map<string, number>> {
  const res = await fetch(`${new URL(simUrl).origin}/_sim/journal`);
  const entries = (await res.json()) as { at: number; cmd: string; request?: { order_id?: string } }[];
  const out = new Map<string, number>();
  for (const e of entries) if (e.cmd === 'api/postransaction' && e.request?.order_id && !out.has(e.request.order_id)) out.set(e.request.order_id, e.at);
  return out;
}
