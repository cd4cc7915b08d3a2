/**
 * Peer (a): the common "lock + moveToDelayed + DelayedError" pattern (docs/CORE.md › Per-terminal lines compares it) — one
 * queue for all terminals; a processor takes a per-terminal lock (`SET NX PX`), and when the
 * terminal is locked it moves its job back to the delayed set and throws `DelayedError`, to be
 * fetched again later. Implemented here only, as a user of open-source BullMQ would write it.
 *
 * Its costs show in the figures: every re-fetch of a job whose terminal is busy is Redis work and a
 * processor slot spent (jobRunsPerOp), a delayed job re-enters behind newer ones (FIFO overtakes),
 * and a terminal sits idle until some waiting job's retry timer fires (hand-off latency).
 */
import { DelayedError, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { REDIS_OPTIONS } from '../../src/queues/core.js';
import type { Dispatcher, DispatchRun } from '../scenarios/support/dispatch.js';
import { waitUntil } from '../scenarios/support/measure.js';
import { chargeUntilFinal, timesFor, type PeerJob } from './lifecycle.js';

export interface LockDelayOptions {
  /** Jobs in flight. Default 200 (one per terminal of the skewed scenario). */
  concurrency?: number;
  /** How long a job whose terminal is locked waits before it is fetched again. Default: the service time (min 5 ms). */
  retryMs?: number;
  /** Lock expiry. Default 60 000 ms. */
  lockTtlMs?: number;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

export function lockDelayPeer(options: LockDelayOptions = {}): Dispatcher {
  return {
    name: 'lock + moveToDelayed',
    async run(ops, env, gateway): Promise<DispatchRun> {
      const concurrency = options.concurrency ?? 200;
      const retryMs = options.retryMs ?? Math.max(5, env.serviceMs);
      const ttl = options.lockTtlMs ?? 60_000;
      const conn = new Redis(env.redisUrl, REDIS_OPTIONS);
      const prefix = '{peerlock}';
      const queue = new Queue<PeerJob>('charges', { connection: conn, prefix });
      const times = timesFor(ops);
      let completed = 0;
      let runs = 0;
      let errors = 0;
      let stopped = false;
      let lockMisses = 0;
      const worker = new Worker<PeerJob>(
        'charges',
        async (job: Job<PeerJob>, token?: string) => {
          runs++;
          const lock = `{peerlock}:lock:${job.data.device}`;
          const got = await conn.set(lock, job.id!, 'PX', ttl, 'NX');
          if (got !== 'OK') {
            lockMisses++;
            await job.moveToDelayed(Date.now() + retryMs, token);
            throw new DelayedError();
          }
          try {
            return await chargeUntilFinal(gateway, job.data, env.pollMs, times.get(job.data.orderId)!, () => stopped);
          } finally {
            await conn.eval(RELEASE, 1, lock, job.id!).catch(() => undefined);
          }
        },
        { connection: conn, prefix, concurrency, autorun: false },
      );
      worker.on('completed', () => completed++);
      worker.on('failed', (_job, err) => {
        errors++;
        if (!stopped) env.log(`lock peer: ${err.message}`);
      });
      try {
        await queue.pause();
        for (let i = 0; i < ops.length; i += 1_000) {
          await queue.addBulk(ops.slice(i, i + 1_000).map((o) => ({ name: 'charge', data: { orderId: o.orderId, device: o.device }, opts: { jobId: o.orderId } })));
        }
        await worker.waitUntilReady();
        void worker.run();
        const t0 = Date.now();
        await queue.resume();
        const all = await waitUntil(() => completed + errors >= ops.length, env.deadline, 5);
        const elapsedMs = Date.now() - t0;
        const lastFinal = Math.max(...[...times.values()].map((t) => t.finalAt ?? 0));
        return {
          name: this.name, completed, times, errors, elapsedMs,
          makespanMs: all && errors === 0 ? lastFinal - t0 : null,
          jobRunsPerOp: runs / Math.max(1, ops.length),
          extra: { retryMs, concurrency, lockMisses },
        };
      } finally {
        // Running processors stop at their next poll (`stopped`), so a graceful close is quick and
        // none of them writes to a connection that is already gone.
        stopped = true;
        await worker.close();
        await queue.close();
        await conn.quit().catch(() => undefined);
      }
    },
  };
}
