/**
 * A worker process: device + status workers and the lease sweeper, stopped gracefully on
 * SIGTERM/SIGINT (running jobs finish; a job cut off mid-POST is recovered as `unknown` elsewhere).
 * `npm run worker` in production; also spawned by the multi-process tests.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLogger, loadEnv } from '../config/index.js';
import { startBatchTracker } from '../batch/tracker.js';
import { startWorkers } from '../workers/runtime.js';
import { createAppRuntime } from './runtime.js';

export async function runWorkerProcess(): Promise<void> {
  const env = loadEnv();
  const redisUrl = env.REDIS_URL;
  if (!redisUrl) throw new Error('REDIS_URL is required for a worker process');
  const logger = createLogger(env.LOG_LEVEL);
  const app = createAppRuntime(env, redisUrl, logger);
  const workers = startWorkers(app.workerContext(), {
    concurrency: env.WORKER_CONCURRENCY,
    lockDurationMs: env.WORKER_LOCK_MS,
    stalledIntervalMs: env.WORKER_STALLED_INTERVAL_MS,
  });
  // Completes batch refund parents/children in Bull Board as their refunds become final, even when
  // the CLI that started the batch has gone (src/batch/tracker.ts).
  const tracker = startBatchTracker(app.core, { logger, reconcileMs: env.BATCH_RECONCILE_MS, lockDurationMs: env.WORKER_LOCK_MS });
  logger.info({ concurrency: env.WORKER_CONCURRENCY, pid: process.pid }, 'workers started');
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'workers stopping: finishing running jobs');
    await workers.close();
    await tracker.close();
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  runWorkerProcess().catch((err: Error) => {
    console.error(err.message);
    process.exit(1);
  });
}
