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
  /** Every store the batch concerns (its rows' refunds and its default store), comma-separated; written with the plan. */
  stores: z.string().optional(),
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

/** The store of a refund's op id (`refund.<store>.<refund_id>`, the store percent-encoded). */
export function storeOfOpId(op: string): string | undefined {
  const part = op.split('.')[1];
  if (part === undefined) return undefined;
  try {
    return decodeURIComponent(part);
  } catch {
    return undefined;
  }
}

/** The stores of planned rows and a default store, sorted: what `stores` of the meta holds. */
export function storesOfRows(rows: readonly StoredRow[], defaultStore?: string): string[] {
  const stores = new Set<string>(defaultStore ? [defaultStore] : []);
  for (const r of rows) {
    const s = r.op ? storeOfOpId(r.op) : undefined;
    if (s) stores.add(s);
  }
  return [...stores].sort();
}

/** Sets a field of a hash only while the hash exists (never re-creates an expired meta without its TTL). */
const SET_IF_EXISTS = "if redis.call('exists', KEYS[1]) == 1 then redis.call('hset', KEYS[1], ARGV[1], ARGV[2]) end return 0";

/**
 * Every store a batch concerns (the API shows a batch only to keys of its stores): from its meta,
 * or, for a batch planned before the meta kept them, from its rows — then written to its meta, so
 * its rows are read for that once.
 */
export async function batchStores(core: Core, batchId: string, meta?: BatchMeta | null): Promise<string[]> {
  const m = meta === undefined ? await readMeta(core, batchId) : meta;
  if (!m) return [];
  if (m.stores !== undefined) return m.stores.split(',').filter(Boolean);
  const stores = storesOfRows(await readRows(core, batchId), m.store);
  await core.redis.eval(SET_IF_EXISTS, 1, batchKeys(core.tag).meta(batchId), 'stores', stores.join(','));
  return stores;
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
