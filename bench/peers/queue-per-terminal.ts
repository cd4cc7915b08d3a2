/**
 * Peer (b): one BullMQ queue per terminal, each with one worker of concurrency 1 — serial per
 * terminal and FIFO by construction, at the price of a queue, a worker and a blocking Redis
 * connection per terminal (what stops it at thousands of terminals). Implemented here only.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_OPTIONS } from '../../src/queues/core.js';
import type { Dispatcher, DispatchRun } from '../scenarios/support/dispatch.js';
import { waitUntil } from '../scenarios/support/measure.js';
import { chargeUntilFinal, timesFor, type PeerJob } from './lifecycle.js';

export function queuePerTerminalPeer(): Dispatcher {
  return {
    name: 'queue per terminal',
    async run(ops, env, gateway): Promise<DispatchRun> {
      const conn = new Redis(env.redisUrl, REDIS_OPTIONS);
      const prefix = '{peerq}';
      const devices = [...new Set(ops.map((o) => o.device))];
      const queues = new Map(devices.map((d) => [d, new Queue<PeerJob>(`term-${d}`, { connection: conn, prefix })]));
      const times = timesFor(ops);
      let completed = 0;
      let runs = 0;
      let errors = 0;
      let stopped = false;
      const workers: Worker<PeerJob>[] = [];
      try {
        await Promise.all([...queues.values()].map((q) => q.pause()));
        // Enqueue in the plan's arrival order, so each terminal's queue holds its ops in FIFO order.
        for (let i = 0; i < ops.length; i += 500) {
          await Promise.all(ops.slice(i, i + 500).map((o) => queues.get(o.device)!.add('charge', { orderId: o.orderId, device: o.device }, { jobId: o.orderId })));
        }
        for (const d of devices) {
          const w = new Worker<PeerJob>(
            `term-${d}`,
            async (job: Job<PeerJob>) => {
              runs++;
              return chargeUntilFinal(gateway, job.data, env.pollMs, times.get(job.data.orderId)!, () => stopped);
            },
            { connection: conn, prefix, concurrency: 1, autorun: false },
          );
          w.on('completed', () => completed++);
          w.on('failed', (_job, err) => {
            errors++;
            if (!stopped) env.log(`queue-per-terminal peer: ${err.message}`);
          });
          workers.push(w);
        }
        await Promise.all(workers.map((w) => w.waitUntilReady()));
        for (const w of workers) void w.run();
        const t0 = Date.now();
        await Promise.all([...queues.values()].map((q) => q.resume()));
        const all = await waitUntil(() => completed + errors >= ops.length, env.deadline, 5);
        const elapsedMs = Date.now() - t0;
        const lastFinal = Math.max(...[...times.values()].map((t) => t.finalAt ?? 0));
        return {
          name: this.name, completed, times, errors, elapsedMs,
          makespanMs: all && errors === 0 ? lastFinal - t0 : null,
          jobRunsPerOp: runs / Math.max(1, ops.length),
          extra: { queues: queues.size, workers: workers.length },
        };
      } finally {
        stopped = true;
        await Promise.all(workers.map((w) => w.close()));
        await Promise.all([...queues.values()].map((q) => q.close()));
        await conn.quit().catch(() => undefined);
      }
    },
  };
}
