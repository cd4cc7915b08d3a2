/**
 * A batch as a person reads it: counts by state and one result per row, read from the refunds' own
 * records (the truth; the Bull Board children mirror it).
 */
import { Job, Queue } from 'bullmq';
import { isFinalState, OPERATION_STATES, type OperationState } from '../domain/operation/states.js';
import type { Core } from '../queues/core.js';
import { BATCH_QUEUES, parentJobId } from './flow.js';
import { readMeta, readRows } from './store.js';
import type { StoredRow } from './types.js';

/** A row's state: its refund's state, or why it has none (`missing`: planned, not enqueued yet — an interrupted run). */
export type RowState = OperationState | 'invalid' | 'not_enqueued' | 'missing';

export interface RowResult {
  row: number;
  order_id: string;
  refund_id: string;
  state: RowState;
  prc: string;
  refund_uid: string;
  message: string;
}

export interface BatchStatus {
  batch_id: string;
  store_uid?: string;
  /** `complete` when every row is final (or skipped). */
  state: 'enqueuing' | 'running' | 'complete';
  rows_total: number;
  /** Rows in a final state, skipped rows included. */
  final: number;
  counts: Partial<Record<RowState, number>>;
  /** State of the Bull Board parent job (`waiting-children`, `completed`, …), null before the flow exists. */
  parent: string | null;
  created_at: string;
  enqueued_at?: string;
  completed_at?: string;
  rows?: RowResult[];
}

const KNOWN_STATES = new Set<string>(OPERATION_STATES);

export function isFinalRowState(state: RowState): boolean {
  return state === 'invalid' || state === 'not_enqueued' || (state !== 'missing' && isFinalState(state));
}

/** Reads the result of each row (one pipeline over the refund records). */
export async function readRowResults(core: Core, rows: readonly StoredRow[]): Promise<RowResult[]> {
  const pipe = core.redis.pipeline();
  for (const r of rows) if (r.op) pipe.hmget(core.store.keys.op(r.op), 'state', 'prc', 'refund_uid', 'msg');
  const res = (await pipe.exec()) ?? [];
  let i = 0;
  return rows.map((r) => {
    const base = { row: r.row, order_id: r.order_id ?? '', refund_id: r.refund_id ?? '' };
    if (!r.op) return { ...base, state: r.skipped ?? 'invalid', prc: '', refund_uid: '', message: r.error ?? '' };
    const [state, prc, refundUid, msg] = (res[i++]?.[1] ?? []) as (string | null)[];
    if (!state || !KNOWN_STATES.has(state)) {
      return { ...base, state: r.skipped ?? (r.error ? 'not_enqueued' : 'missing'), prc: '', refund_uid: '', message: r.error ?? '' };
    }
    return { ...base, state: state as OperationState, prc: prc ?? '', refund_uid: refundUid ?? '', message: msg ?? '' };
  });
}

export function countStates(results: readonly RowResult[]): { counts: Partial<Record<RowState, number>>; final: number } {
  const counts: Partial<Record<RowState, number>> = {};
  let final = 0;
  for (const r of results) {
    counts[r.state] = (counts[r.state] ?? 0) + 1;
    if (isFinalRowState(r.state)) final++;
  }
  return { counts, final };
}

async function parentState(core: Core, batchId: string): Promise<string | null> {
  const queue = new Queue(BATCH_QUEUES.batches, { connection: core.redis, prefix: core.prefix });
  try {
    const job = await Job.fromId(queue, parentJobId(batchId));
    return job ? await job.getState() : null;
  } finally {
    await queue.close();
  }
}

const iso = (ms?: number) => (ms === undefined ? undefined : new Date(ms).toISOString());

export async function getBatchStatus(core: Core, batchId: string, opts: { rows?: boolean } = {}): Promise<BatchStatus | null> {
  const meta = await readMeta(core, batchId);
  if (!meta) return null;
  const rows = await readRows(core, batchId);
  const results = await readRowResults(core, rows);
  const { counts, final } = countStates(results);
  const state = final === rows.length && meta.status !== 'enqueuing' ? 'complete' : meta.status === 'enqueuing' ? 'enqueuing' : 'running';
  return {
    batch_id: batchId,
    store_uid: meta.store,
    state,
    rows_total: rows.length,
    final,
    counts,
    parent: await parentState(core, batchId),
    created_at: iso(meta.created)!,
    enqueued_at: iso(meta.enqueued),
    completed_at: iso(meta.completed),
    ...(opts.rows ? { rows: results } : {}),
  };
}
