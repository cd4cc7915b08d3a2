/**
 * Starts the device and status workers plus the lease sweeper in this process; `close()` stops
 * taking jobs, lets running ones finish (BullMQ graceful close) and stops the sweeper.
 */
import { Worker } from 'bullmq';
import { QUEUES, type OperationJob } from '../queues/registry.js';
import type { WorkerContext } from './context.js';
import { createDeviceProcessor } from './device.worker.js';
import { createStatusProcessor } from './status.worker.js';
import { sweepOnce } from './sweeper.js';
import { janitorOnce } from './janitor.js';

export interface WorkerRuntimeOptions {
  /** Jobs in flight per queue in this process. Default 50. */
  concurrency?: number;
  /** Start the lease sweeper. Default true. */
  sweeper?: boolean;
  /** Start the janitor (one pass at a time across processes). Default true. */
  janitor?: boolean;
  /** BullMQ lock duration: how long a silent worker keeps a job. Default 30 000 ms. */
  lockDurationMs?: number;
  /** BullMQ stalled-job check interval. Default 30 000 ms. */
  stalledIntervalMs?: number;
}

export interface WorkerRuntime {
  device: Worker<OperationJob>;
  status: Worker<OperationJob>;
  running(): boolean;
  close(): Promise<void>;
}

export function startWorkers(ctx: WorkerContext, options: WorkerRuntimeOptions = {}): WorkerRuntime {
  const { core } = ctx;
  const concurrency = options.concurrency ?? 50;
  const common = {
    connection: core.redis,
    prefix: core.prefix,
    concurrency,
    // Reruns are safe (the record's state decides what a rerun does), so a stalled job is always
    // retried rather than failed after one stall.
    maxStalledCount: 100,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
  };
  const device = new Worker<OperationJob>(QUEUES.device, createDeviceProcessor(ctx), common);
  const status = new Worker<OperationJob>(QUEUES.status, createStatusProcessor(ctx), common);
  for (const w of [device, status]) {
    w.on('failed', (job, err) => ctx.logger.error({ queue: w.name, jobId: job?.id, err: err.message }, 'job failed'));
    w.on('error', (err) => ctx.logger.error({ queue: w.name, err: err.message }, 'worker error'));
  }
  const periodic = (name: string, enabled: boolean, everyMs: number, pass: () => Promise<unknown>) => {
    if (!enabled) return undefined;
    let running = false;
    const t = setInterval(() => {
      if (running) return;
      running = true;
      pass()
        .catch((err: Error) => ctx.logger.error({ err: err.message }, `${name} failed`))
        .finally(() => (running = false));
    }, everyMs);
    t.unref();
    return t;
  };
  const timers = [
    periodic('sweep', options.sweeper !== false, core.settings.sweepIntervalMs, () => sweepOnce(ctx)),
    periodic('janitor pass', options.janitor !== false, core.settings.janitorIntervalMs, () => janitorOnce(ctx)),
  ];
  let closed = false;
  return {
    device,
    status,
    running: () => !closed && device.isRunning() && status.isRunning(),
    async close() {
      closed = true;
      for (const t of timers) if (t) clearInterval(t);
      await Promise.all([device.close(), status.close()]);
    },
  };
}
