/**
 * The batch tracker: processes the Bull Board flow of every batch (flow.ts) and wakes each parked
 * child when its refund reaches a final state. It never touches a terminal.
 *
 * Wake-ups are event driven, O(1) Redis work per refund: a `QueueEvents` reader on the `device` and
 * `status` queues sees every job that completes with a final state (both workers end a refund's job
 * with its state), looks up the children waiting for that refund (`{tag}:batch-watch:<opId>`) and
 * promotes them. Events are a capped stream, so a tracker that was down misses some: a reconcile
 * pass per active batch (at start, then every `reconcileMs`) promotes the children of refunds that
 * became final meanwhile. Any number of trackers may run (the CLI runs one while it watches a batch;
 * API and worker processes should run one): BullMQ hands each job to one of them.
 */
import { DelayedError, Job, QueueEvents, Worker, type Queue } from 'bullmq';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { isFinalState, type OperationState, OPERATION_STATES } from '../domain/operation/states.js';
import { QUEUES } from '../queues/registry.js';
import type { Core } from '../queues/core.js';
import { BATCH_QUEUES, DEFAULT_PARK_MS, batchQueues, childJobId, type BatchParentJob, type BatchRowJob } from './flow.js';
import { batchKeys } from './keys.js';
import { BATCH_RETENTION_MS, readMeta, readRows, setMeta } from './store.js';
import { countStates, isFinalRowState, readRowResults, type RowResult } from './status.js';

export interface BatchTrackerOptions {
  /** A parked child sleeps this long unless woken. Default 3 600 000 ms. */
  parkMs?: number;
  /** Reconcile pass interval (missed wake-ups). Default 15 000 ms. */
  reconcileMs?: number;
  /** Jobs in flight per tracker queue. Default 50. */
  concurrency?: number;
  /** BullMQ lock of a tracker job; tracker jobs take milliseconds, so a short lock recovers a dead tracker's jobs fast. Default 5 000 ms. */
  lockDurationMs?: number;
  /** Listen to device/status completions for instant wake-ups. Default true. */
  events?: boolean;
  logger?: Logger;
}

export interface BatchTracker {
  /** Promotes the children of every active batch whose refund is final; returns how many. */
  reconcile(): Promise<number>;
  close(): Promise<void>;
}

const STATES = new Set<string>(OPERATION_STATES);

async function promote(queue: Queue, jobId: string): Promise<boolean> {
  const job = await Job.fromId(queue, jobId);
  if (!job || !(await job.isDelayed())) return false;
  return job.promote().then(() => true, () => false); // lost a race with another tracker: fine
}

/** Promotes the children waiting for `opId` (call when the refund is final). */
export async function wakeRefundWatchers(core: Core, rowsQueue: Queue, opId: string): Promise<number> {
  const ids = await core.redis.smembers(batchKeys(core.tag).watch(opId));
  let n = 0;
  for (const id of ids) if (await promote(rowsQueue, id)) n++;
  return n;
}

/** Records a row's tracking child as done; the set expires with the batch (it used to be the one batch key without a TTL). */
async function markDone(core: Core, batchId: string, row: number): Promise<void> {
  const key = batchKeys(core.tag).done(batchId);
  await core.redis.multi().sadd(key, String(row)).pexpire(key, BATCH_RETENTION_MS).exec();
}

/** Promotes the children of one batch whose rows are final but not yet recorded as done. */
export async function reconcileBatch(core: Core, rowsQueue: Queue, batchId: string): Promise<number> {
  const k = batchKeys(core.tag);
  const [rows, done] = await Promise.all([readRows(core, batchId), core.redis.smembers(k.done(batchId))]);
  const doneSet = new Set(done);
  const open = rows.filter((r) => r.op && !doneSet.has(String(r.row)));
  const results = await readRowResults(core, open);
  let n = 0;
  for (const r of results) if (isFinalRowState(r.state) && (await promote(rowsQueue, childJobId(batchId, r.row)))) n++;
  return n;
}

export function startBatchTracker(core: Core, options: BatchTrackerOptions = {}): BatchTracker {
  const logger = options.logger ?? pino({ level: 'silent' });
  const parkMs = options.parkMs ?? DEFAULT_PARK_MS;
  const k = batchKeys(core.tag);
  const queues = batchQueues(core);
  const common = {
    connection: core.redis,
    prefix: core.prefix,
    concurrency: options.concurrency ?? 50,
    lockDuration: options.lockDurationMs ?? 5_000,
    stalledInterval: Math.max(1_000, Math.floor((options.lockDurationMs ?? 5_000) / 2)),
    maxStalledCount: 100,
  };

  const rowsWorker = new Worker<BatchRowJob>(BATCH_QUEUES.rows, async (job, token): Promise<Omit<RowResult, 'order_id' | 'refund_id'>> => {
    const { batchId, row, opId } = job.data;
    const [state, prc, refundUid, msg] = await core.redis.hmget(core.store.keys.op(opId), 'state', 'prc', 'refund_uid', 'msg');
    if (state && STATES.has(state) && isFinalState(state as OperationState)) {
      await markDone(core, batchId, row);
      return { row, state: state as OperationState, prc: prc ?? '', refund_uid: refundUid ?? '', message: msg ?? '' };
    }
    if (!state) {
      // Refused when enqueued (the row says why): final without a refund.
      const stored = await core.redis.hget(k.rows(batchId), String(row));
      const parsed = stored ? (JSON.parse(stored) as { error?: string; skipped?: string }) : {};
      if (parsed.skipped === 'not_enqueued') {
        await markDone(core, batchId, row);
        return { row, state: 'not_enqueued', prc: '', refund_uid: '', message: parsed.error ?? '' };
      }
    }
    await job.moveToDelayed(Date.now() + parkMs, token);
    throw new DelayedError();
  }, common);

  const batchesWorker = new Worker<BatchParentJob>(BATCH_QUEUES.batches, async (job) => {
    const { batchId } = job.data;
    const results = await readRowResults(core, await readRows(core, batchId));
    const { counts, final } = countStates(results);
    const now = core.now();
    const meta = await readMeta(core, batchId);
    if (meta?.store) {
      // `complete` and its event `refund_batch.completed` in one script, once (a rerun writes neither again).
      const failed = results.filter((r) => r.state !== 'refunded').map((r) => ({ row: r.row, order_id: r.order_id, refund_id: r.refund_id, state: r.state, message: r.message }));
      const object = {
        id: batchId, kind: 'refund_batch', store_uid: meta.store, status: 'complete', rows: results.length, final, counts,
        not_refunded: failed.slice(0, 100), not_refunded_count: failed.length,
        created_at: new Date(meta.created).toISOString(), completed_at: new Date(now).toISOString(),
      };
      await core.events.completeOnce(k.meta(batchId), { type: 'refund_batch.completed', store: meta.store, id: batchId, object, now, fields: { completed: now, not_refunded: failed.length } });
      await core.redis.pexpire(k.meta(batchId), BATCH_RETENTION_MS);
    } else {
      await setMeta(core, batchId, { status: 'complete', completed: now });
    }
    await core.redis.srem(k.active, batchId);
    logger.info({ queue: BATCH_QUEUES.batches, jobId: job.id, batchId, counts }, 'refund batch complete');
    return { rows: results.length, final, counts };
  }, common);

  for (const w of [rowsWorker, batchesWorker]) {
    w.on('error', (err) => logger.error({ queue: w.name, err: err.message }, 'batch tracker worker error'));
    w.on('failed', (job, err) => logger.error({ queue: w.name, jobId: job?.id, err: err.message }, 'batch tracker job failed'));
  }

  const events: QueueEvents[] = [];
  if (options.events !== false) {
    for (const name of [QUEUES.device, QUEUES.status]) {
      const qe = new QueueEvents(name, { connection: core.redis, prefix: core.prefix });
      qe.on('completed', ({ jobId, returnvalue }) => {
        if (!jobId.startsWith('refund.') || typeof returnvalue !== 'string' || !STATES.has(returnvalue)) return;
        if (!isFinalState(returnvalue as OperationState)) return;
        const opId = jobId.endsWith('.status') ? jobId.slice(0, -'.status'.length) : jobId;
        wakeRefundWatchers(core, queues.rows, opId).catch((err: Error) => logger.warn({ opId, err: err.message }, 'batch wake-up failed; the reconcile pass will catch it'));
      });
      qe.on('error', (err) => logger.error({ queue: name, err: err.message }, 'batch tracker events error'));
      events.push(qe);
    }
  }

  async function reconcile(): Promise<number> {
    let n = 0;
    for (const batchId of await core.redis.smembers(k.active)) n += await reconcileBatch(core, queues.rows, batchId);
    return n;
  }
  let running = false;
  const tick = () => {
    if (running) return;
    running = true;
    reconcile()
      .catch((err: Error) => logger.error({ err: err.message }, 'batch reconcile failed'))
      .finally(() => (running = false));
  };
  tick();
  const timer = setInterval(tick, options.reconcileMs ?? 15_000);
  timer.unref();

  return {
    reconcile,
    async close() {
      clearInterval(timer);
      await Promise.all([rowsWorker.close(), batchesWorker.close(), ...events.map((e) => e.close())]);
      await Promise.all([queues.rows.close(), queues.batches.close()]);
    },
  };
}
