/**
 * The queues and their job payloads, in one typed registry (graphile-worker's task map). Job data is
 * only the operation id: the record lives in our store, so no secret and no amount is ever copied
 * into BullMQ (and Bull Board) — the job *name* carries what a person needs to read.
 */
import { z } from 'zod';
import type { JobsOptions } from 'bullmq';
import type { StoredOperation } from '../store/record.js';

export const QUEUES = {
  /** Sends an operation to its terminal (one job per operation; parked while waiting in line). */
  device: 'device',
  /** Follows an operation up with `querydirect` until a final prc (one job per operation, re-delayed per poll). */
  status: 'status',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export const operationJobSchema = z.object({
  opId: z.string().min(1),
  /** Status jobs: do not query before this time (ms); a short first wait is kept in-process. */
  notBefore: z.number().int().optional(),
});
export type OperationJob = z.infer<typeof operationJobSchema>;

/** Retention: enough history for ops, bounded so Redis does not grow without end. */
export const DEFAULT_JOB_OPTIONS: JobsOptions = {
  removeOnComplete: { age: 24 * 3600, count: 20_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
  attempts: 5,
  backoff: { type: 'exponential', delay: 1_000 },
};

export const statusJobId = (opId: string) => `${opId}.status`;

const VERB: Record<StoredOperation['kind'], string> = {
  charge: 'charge',
  refund: 'refund',
  reprint_invoice: 'reprint invoice',
  reprint_signature: 'reprint signature',
};

/** "charge A01 · order 123 · NT$10" — what ops read in Bull Board. */
export function jobName(op: Pick<StoredOperation, 'kind' | 'device' | 'order_id' | 'cost'>, queue: QueueName = 'device'): string {
  const parts = [`${VERB[op.kind]} ${op.device}`];
  if (op.order_id) parts.push(`order ${op.order_id}`);
  if (op.cost !== undefined && (op.kind === 'charge' || op.kind === 'refund')) parts.push(`NT$${op.cost}`);
  const name = parts.join(' · ');
  return queue === 'status' ? `follow up ${name}` : name;
}
