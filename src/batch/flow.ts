/**
 * The batch in Bull Board: one parent job per batch in `refund-batches`, one lightweight child per
 * refund row in `refund-batch-rows` (a BullMQ flow, created in one MULTI: all or nothing).
 *
 * The children never talk to a terminal — each refund's own device job (jobId = op id) does, in its
 * terminal's line, so per-terminal serialization and the live-before-bulk order are untouched. A
 * child is created parked (delayed by `parkMs`) and is woken (promoted) when its refund reaches a
 * final state (tracker.ts); it then completes with the refund's outcome. When the last child
 * completes BullMQ releases the parent, which records the batch as complete.
 */
import { FlowProducer, Job, Queue, type JobsOptions } from 'bullmq';
import type { Core } from '../queues/core.js';
import type { StoredRow } from './types.js';

export const BATCH_QUEUES = {
  /** One job per batch; waits for its children, then records the batch complete. */
  batches: 'refund-batches',
  /** One job per refund row; completes with the refund's final state. */
  rows: 'refund-batch-rows',
} as const;

export interface BatchParentJob {
  batchId: string;
}
export interface BatchRowJob {
  batchId: string;
  row: number;
  opId: string;
}

export const parentJobId = (batchId: string) => `batch.${batchId}`;
export const childJobId = (batchId: string, row: number) => `${batchId}.row${row}`;

export const parentJobName = (batchId: string, rows: number) => `refund batch ${batchId} · ${rows} rows`;
export function childJobName(r: StoredRow): string {
  const parts = [`track refund row ${r.row}`];
  if (r.device) parts.push(r.device);
  if (r.order_id) parts.push(`order ${r.order_id}`);
  if (r.cost !== undefined) parts.push(`NT$${r.cost}`);
  return parts.join(' · ');
}

/** A parked child sleeps this long unless woken; the tracker's reconcile pass is the safety net. Default 1 h. */
export const DEFAULT_PARK_MS = 3_600_000;

const CHILD_OPTS: JobsOptions = {
  removeOnComplete: { age: 7 * 24 * 3600, count: 200_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
  // A child only reads Redis; it fails only while Redis does. Keep trying so the parent is not left waiting.
  attempts: 50,
  backoff: { type: 'exponential', delay: 1_000 },
};
const PARENT_OPTS: JobsOptions = {
  removeOnComplete: { age: 90 * 24 * 3600 },
  removeOnFail: { age: 90 * 24 * 3600 },
  attempts: 20,
  backoff: { type: 'exponential', delay: 1_000 },
};

export function batchQueues(core: Core) {
  const opts = { connection: core.redis, prefix: core.prefix };
  const queues = {
    batches: new Queue<BatchParentJob>(BATCH_QUEUES.batches, opts),
    rows: new Queue<BatchRowJob>(BATCH_QUEUES.rows, opts),
  };
  // Connection errors (a Redis outage) go to the logger; without a listener they print raw stacks.
  for (const q of Object.values(queues)) q.on('error', (err: Error) => core.logger.warn({ queue: q.name, err: err.message }, 'queue connection error'));
  return queues;
}

/** Creates the batch's flow unless its parent exists already (a rerun). Children only for rows with a refund. */
export async function ensureBatchFlow(core: Core, batchId: string, rows: readonly StoredRow[], parkMs = DEFAULT_PARK_MS): Promise<'created' | 'exists'> {
  const queue = new Queue<BatchParentJob>(BATCH_QUEUES.batches, { connection: core.redis, prefix: core.prefix });
  queue.on('error', (err: Error) => core.logger.warn({ queue: queue.name, err: err.message }, 'queue connection error'));
  try {
    if (await Job.fromId(queue, parentJobId(batchId))) return 'exists';
  } finally {
    await queue.close();
  }
  const producer = new FlowProducer({ connection: core.redis, prefix: core.prefix });
  try {
    const tracked = rows.filter((r) => r.op);
    await producer.add({
      name: parentJobName(batchId, rows.length),
      queueName: BATCH_QUEUES.batches,
      data: { batchId } satisfies BatchParentJob,
      opts: { ...PARENT_OPTS, jobId: parentJobId(batchId) },
      children: tracked.map((r) => ({
        name: childJobName(r),
        queueName: BATCH_QUEUES.rows,
        data: { batchId, row: r.row, opId: r.op! } satisfies BatchRowJob,
        opts: { ...CHILD_OPTS, jobId: childJobId(batchId, r.row), delay: parkMs },
      })),
    });
    return 'created';
  } finally {
    await producer.close();
  }
}
