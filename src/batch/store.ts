/** Batch state in Redis (keys.ts): the meta hash and the planned rows. */
import { z } from 'zod';
import type { Core } from '../queues/core.js';
import { batchKeys } from './keys.js';
import { childJobId } from './flow.js';
import type { StoredRow } from './types.js';

export const batchMetaSchema = z.object({
  id: z.string(),
  store: z.string().optional(),
  file_hash: z.string(),
  rows: z.coerce.number().int(),
  tracked: z.coerce.number().int(),
  skipped: z.coerce.number().int(),
  /** `enqueuing` until every planned refund is in its terminal's line, then `running`; `complete` once the parent job ran. */
  status: z.enum(['enqueuing', 'running', 'complete']),
  /** '1' once the Bull Board flow exists: the plan is then frozen. */
  flow: z.string().optional(),
  created: z.coerce.number().int(),
  enqueued: z.coerce.number().int().optional(),
  completed: z.coerce.number().int().optional(),
  /** Rows that did not end refunded (written with `complete`). */
  not_refunded: z.coerce.number().int().optional(),
});
export type BatchMeta = z.infer<typeof batchMetaSchema>;

const storedRowSchema = z.object({
  row: z.number().int(),
  order_id: z.string().optional(),
  refund_id: z.string().optional(),
  op: z.string().optional(),
  cost: z.number().optional(),
  device: z.string().optional(),
  error: z.string().optional(),
  skipped: z.enum(['invalid', 'not_enqueued']).optional(),
});

/** Retention of a batch's own keys (the refunds keep theirs, 90 days by default). */
export const BATCH_RETENTION_MS = 90 * 86_400_000;

export async function readMeta(core: Core, batchId: string): Promise<BatchMeta | null> {
  const raw = await core.redis.hgetall(batchKeys(core.tag).meta(batchId));
  if (!raw.id) return null;
  return batchMetaSchema.parse(raw);
}

/** Planned rows in row order (read back through zod: Redis is a trust boundary too). */
export async function readRows(core: Core, batchId: string): Promise<StoredRow[]> {
  const raw = await core.redis.hgetall(batchKeys(core.tag).rows(batchId));
  return Object.values(raw)
    .map((v) => storedRowSchema.parse(JSON.parse(v)))
    .sort((a, b) => a.row - b.row);
}

/**
 * Writes the plan in one MULTI: meta (creation time kept on a rerun), rows, indexes, and for each
 * tracked refund the child job waiting for it (tracker wake-ups go op → child).
 */
export async function writePlan(core: Core, meta: Omit<BatchMeta, 'created'> & { created: number }, rows: readonly StoredRow[]): Promise<void> {
  const k = batchKeys(core.tag);
  const multi = core.redis.multi();
  const { created, ...rest } = meta;
  multi.hsetnx(k.meta(meta.id), 'created', created);
  multi.hset(k.meta(meta.id), Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Record<string, string | number>);
  const fields: string[] = [];
  for (const r of rows) fields.push(String(r.row), JSON.stringify(r));
  if (fields.length) multi.hset(k.rows(meta.id), ...fields);
  multi.zadd(k.all, created, meta.id);
  // The index of batches is bounded by the batches' own retention: older entries name expired batches.
  multi.zremrangebyscore(k.all, '-inf', created - BATCH_RETENTION_MS);
  if (meta.status !== 'complete') multi.sadd(k.active, meta.id);
  for (const r of rows) {
    if (!r.op) continue;
    multi.sadd(k.watch(r.op), childJobId(meta.id, r.row));
    multi.pexpire(k.watch(r.op), BATCH_RETENTION_MS);
  }
  for (const key of [k.meta(meta.id), k.rows(meta.id)]) multi.pexpire(key, BATCH_RETENTION_MS);
  await multi.exec();
}

export async function setMeta(core: Core, batchId: string, fields: Partial<Record<keyof BatchMeta, string | number>>): Promise<void> {
  const key = batchKeys(core.tag).meta(batchId);
  // Also for a batch whose plan was never written (or expired): the meta hash never outlives retention.
  await core.redis.multi().hset(key, fields as Record<string, string | number>).pexpire(key, BATCH_RETENTION_MS).exec();
}

export async function setRow(core: Core, batchId: string, row: StoredRow): Promise<void> {
  await core.redis.hset(batchKeys(core.tag).rows(batchId), String(row.row), JSON.stringify(row));
}

/** Batch ids, newest first. */
export async function listBatches(core: Core, offset = 0, limit = 50): Promise<string[]> {
  return core.redis.zrevrange(batchKeys(core.tag).all, offset, offset + limit - 1);
}
