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
        const handoffSplit = await splitHandoffs(orch.core, ops, times);
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
 * Splits each hand-off gap at the moment BullMQ made the next operation's device job active
 * (`processedOn` of the job): previous final → job active (finish script, audit, wake: read the
 * next record, find its parked job, promote it, a worker fetches it) and job active → POST (the
 * processor reads the record and the lease, claims the send).
 */
async function splitHandoffs(core: Core, ops: readonly PlannedOp[], times: Map<string, OpTimes>) {
  const pipe = core.redis.pipeline();
  for (const o of ops) pipe.hget(`${core.prefix}:${core.deviceQueue.name}:${operationId('charge', STORE_UID, o.orderId)}`, 'processedOn');
  const res = (await pipe.exec()) ?? [];
  const byDevice = new Map<string, { postAt: number; finalAt?: number; activeAt?: number }[]>();
  ops.forEach((o, i) => {
    const t = times.get(o.orderId);
    if (t?.postAt === undefined) return;
    const activeAt = Number(res[i]?.[1]) || undefined;
    let list = byDevice.get(o.device);
    if (!list) byDevice.set(o.device, (list = []));
    list.push({ postAt: t.postAt, finalAt: t.finalAt, activeAt });
  });
  const toActive: number[] = [];
  const toPost: number[] = [];
  for (const list of byDevice.values()) {
    list.sort((a, b) => a.postAt - b.postAt);
    for (let i = 1; i < list.length; i++) {
      const prev = list[i - 1]!.finalAt;
      const cur = list[i]!;
      if (prev === undefined || cur.activeAt === undefined) continue;
      toActive.push(cur.activeAt - prev);
      toPost.push(cur.postAt - cur.activeAt);
    }
  }
  const brief = (v: number[]) => {
    const s = summarize(v);
    return { p50: s.p50, p99: s.p99 };
  };
  return { finalToJobActive: brief(toActive), jobActiveToPost: brief(toPost) };
}
