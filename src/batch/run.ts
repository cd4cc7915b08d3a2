/**
 * One run of a batch (issue #6): parse → validate every row → (refuse | dry run | every row already
 * submitted) → write the plan → enqueue the refunds → create the Bull Board flow. Every step is
 * idempotent, so running the same file with the same batch id again picks up where an interrupted
 * run stopped and never refunds twice: refund ids are the idempotency keys (a row's `refund_id`, else
 * derived from store, order, amount and `refund_ref`: refund-ids.ts), the plan is frozen once the
 * flow exists, and the producer turns a known refund id into a no-op. The derived ids do not depend
 * on the batch id or the file's bytes, so a re-export of a file run under a new batch id finds its
 * rows already submitted: when all are, nothing is written at all.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Core } from '../queues/core.js';
import type { Producer } from '../producers/operations.producer.js';
import { BATCH_ID_PATTERN } from './keys.js';
import { BatchConflictError, BatchIdError, BatchRefusedError } from './errors.js';
import { DEFAULT_PARK_MS, batchQueues, ensureBatchFlow } from './flow.js';
import { parseBatchText, parseJsonValue, fileHash, type BatchFormat, type ParsedFile } from './parse.js';
import { batchStores, readMeta, readRows, setMeta, setRow, storesOfRows, writePlan } from './store.js';
import { reconcileBatch } from './tracker.js';
import type { RowIssue, StoredRow } from './types.js';
import { validateBatch, type PlannedRow } from './validate.js';

export interface BatchDeps {
  core: Core;
  producer: Producer;
  logger?: Logger;
}

export interface RunBatchInput {
  /** File contents (CSV or JSON). */
  text?: string;
  format?: BatchFormat;
  /** Already-parsed JSON rows (API). */
  json?: unknown;
  /** Default: `f-` + the first 16 hex digits of the file's sha256 (the same file is the same batch). */
  batchId?: string;
  skipInvalid?: boolean;
  dryRun?: boolean;
  /** Store of rows without `store_uid`. */
  storeUid?: string;
  /** Stores the caller may act for. */
  stores?: readonly string[];
}

export interface RunBatchOptions {
  /** Refunds per enqueue pipeline (one pipeline of scripts + one addBulk). Default 500. */
  concurrency?: number;
  /** Park time of the Bull Board children. Default 1 h. */
  parkMs?: number;
  /** Called as refunds are enqueued. */
  onEnqueued?(done: number, total: number): void;
}

export interface RunBatchResult {
  batchId: string;
  dryRun: boolean;
  /** Rows in the file. */
  rows: number;
  /** Valid rows (refunds of the batch). */
  valid: number;
  /** Refunds created by this run. */
  enqueued: number;
  /** Refunds that already existed (an earlier run of this batch, or an earlier batch: see `alreadySubmitted`). */
  existing: number;
  /** Of `existing`: refunds made by an earlier batch (or outside any batch) — rows submitted before, not enqueued again. */
  alreadySubmitted: number;
  /** Every valid row was already submitted by an earlier batch: nothing was enqueued, and no batch was created. */
  allSeen: boolean;
  /** Batches the already-submitted rows came from (at most 10). */
  earlierBatches: string[];
  /** What to tell the user about already-submitted rows; absent when there are none. */
  notice?: string;
  /** Invalid rows skipped (--skip-invalid). */
  skipped: number;
  /** Valid rows refused when enqueued (e.g. a live refund took the balance meanwhile). */
  notEnqueued: number;
  issues: RowIssue[];
  flow: 'created' | 'exists' | 'none';
  /** flowMs and enqueueMs overlap: both run from the end of the plan. */
  /** `enqueuedMs`: from reading the file to every refund in its terminal's line (validated and enqueued); `totalMs` adds the Bull Board flow. */
  timings: { parseMs: number; validateMs: number; planMs: number; flowMs: number; enqueueMs: number; enqueuedMs: number; totalMs: number };
}

export const defaultBatchId = (hash: string) => `f-${hash.slice(0, 16)}`;

/** The batches already-submitted rows came from, sorted. */
const earlierBatchesOf = (seen: readonly PlannedRow[]) => [...new Set(seen.flatMap((p) => (p.existingBatch ? [p.existingBatch] : [])))].sort();

/**
 * `all 6 rows were already submitted in an earlier batch (f-1a2b…): nothing enqueued`, or
 * `2 of 6 rows were already submitted in an earlier batch (…) and are not enqueued again`.
 */
function seenNotice(seen: readonly PlannedRow[], valid: number, allSeen: boolean, dryRun: boolean, invalid: number): string | undefined {
  if (seen.length === 0) return undefined;
  const batches = earlierBatchesOf(seen);
  const where = seen.every((p) => p.existingBatch) ? 'in an earlier batch' : 'earlier';
  const list = batches.length ? ` (batch${batches.length > 1 ? 'es' : ''} ${batches.slice(0, 3).join(', ')}${batches.length > 3 ? `, +${batches.length - 3} more` : ''})` : '';
  const rows = (n: number) => `${n} ${invalid ? 'valid ' : ''}row${n === 1 ? '' : 's'}`;
  if (allSeen) {
    const all = valid === 1 ? `the only ${invalid ? 'valid ' : ''}row was` : `all ${rows(valid)} were`;
    return `${all} already submitted ${where}${list}: nothing ${dryRun ? 'would be ' : ''}enqueued`;
  }
  return `${seen.length} of ${rows(valid)} ${seen.length === 1 ? 'was' : 'were'} already submitted ${where}${list} and ${dryRun ? 'would not be' : seen.length === 1 ? 'is not' : 'are not'} enqueued again`;
}

function parseInput(input: RunBatchInput): ParsedFile {
  if (input.json !== undefined) return parseJsonValue(input.json, fileHash(JSON.stringify(input.json)));
  return parseBatchText(input.text ?? '', input.format);
}

export async function runBatch(deps: BatchDeps, input: RunBatchInput, options: RunBatchOptions = {}): Promise<RunBatchResult> {
  const { core, producer } = deps;
  const logger = deps.logger ?? pino({ level: 'silent' });
  const t0 = performance.now();
  const parsed = parseInput(input);
  const batchId = input.batchId ?? defaultBatchId(parsed.hash);
  if (!BATCH_ID_PATTERN.test(batchId)) throw new BatchIdError(batchId);
  const t1 = performance.now();

  const meta = await readMeta(core, batchId);
  if (meta && meta.file_hash !== parsed.hash) throw new BatchConflictError(batchId);
  // A rerun stays within the stores the caller may act on (an API key's scope): the batch id of
  // another store's batch is taken, as if by another file.
  if (meta && input.stores) {
    const allowed = input.stores;
    if ((await batchStores(core, batchId, meta)).some((s) => !allowed.includes(s))) throw new BatchConflictError(batchId);
  }
  // A rerun of this batch keeps the refund ids its plan gave its rows (the same file: the same rows).
  const earlier = meta ? await readRows(core, batchId) : [];
  const plannedRefundIds = new Map(earlier.flatMap((r): [number, string][] => (r.refund_id ? [[r.row, r.refund_id]] : [])));
  const report = await validateBatch(core, parsed, { batchId, storeUid: input.storeUid, stores: input.stores, plannedRefundIds });
  const t2 = performance.now();
  const fileIssues = report.issues.filter((i) => i.row === 0);
  const seen = report.planned.filter((p) => p.submittedBefore);
  // A new batch whose every row an earlier batch submitted (a re-export): nothing to do at all.
  const allSeen = !meta && report.planned.length > 0 && seen.length === report.planned.length;
  const base = {
    batchId, dryRun: Boolean(input.dryRun), rows: report.rows.length, valid: report.planned.length,
    existing: report.planned.filter((p) => p.existing).length, alreadySubmitted: seen.length, allSeen,
    earlierBatches: earlierBatchesOf(seen).slice(0, 10),
    notice: seenNotice(seen, report.planned.length, allSeen, Boolean(input.dryRun), report.invalidRows.size),
    skipped: report.invalidRows.size, issues: report.issues,
  };
  const timings = (extra: Partial<RunBatchResult['timings']> = {}) => ({
    parseMs: t1 - t0, validateMs: t2 - t1, planMs: 0, flowMs: 0, enqueueMs: 0, enqueuedMs: 0, totalMs: performance.now() - t0, ...extra,
  });
  if (fileIssues.length || (report.issues.length && !input.skipInvalid)) throw new BatchRefusedError(batchId, report.issues);
  if (report.planned.length === 0) throw new BatchRefusedError(batchId, report.issues, `batch ${batchId} refused: no valid row; nothing was enqueued`);
  if (input.dryRun) return { ...base, enqueued: 0, notEnqueued: 0, flow: 'none', timings: timings() };
  if (allSeen) {
    logger.info({ batchId, rows: base.rows, alreadySubmitted: seen.length, earlierBatches: base.earlierBatches }, 'refund batch already submitted: nothing enqueued');
    return { ...base, enqueued: 0, notEnqueued: 0, flow: 'none', timings: timings() };
  }

  // The plan. Once the flow exists it is frozen: rows skipped or refused by an earlier run stay so.
  const frozen = meta?.flow === '1' ? new Map(earlier.map((r) => [r.row, r])) : null;
  const plannedByRow = new Map(report.planned.map((p) => [p.row, p]));
  const issuesByRow = new Map<number, string[]>();
  for (const i of report.issues) if (i.row > 0) issuesByRow.set(i.row, [...(issuesByRow.get(i.row) ?? []), `${i.field}: ${i.message}`]);
  const rows: StoredRow[] = report.rows.map((r) => {
    const before = frozen?.get(r.row);
    if (before && !before.op) return before;
    const p = plannedByRow.get(r.row);
    if (p) return { row: r.row, order_id: p.order_id, refund_id: p.refund_id, op: p.op_id, cost: p.cost, device: p.device };
    if (before?.op) return { ...before, error: issuesByRow.get(r.row)?.join('; ') ?? 'invalid on rerun', skipped: 'not_enqueued' };
    return { row: r.row, order_id: r.order_id, refund_id: r.refund_id, error: issuesByRow.get(r.row)?.join('; '), skipped: 'invalid' };
  });
  const todo: PlannedRow[] = rows.flatMap((r) => {
    const p = r.op && !r.skipped ? plannedByRow.get(r.row) : undefined;
    return p && (!p.existing || p.existingState === 'queued') ? [p] : [];
  });
  await writePlan(core, {
    id: batchId, store: input.storeUid, stores: storesOfRows(rows, input.storeUid).join(','), file_hash: parsed.hash, rows: rows.length,
    tracked: rows.filter((r) => r.op).length, skipped: rows.filter((r) => r.skipped).length,
    status: meta?.status === 'complete' && todo.length === 0 ? 'complete' : 'enqueuing', created: Date.now(),
  }, rows);
  const t3 = performance.now();

  // The refunds go in first (their terminals start on them at once), then the Bull Board flow (one
  // MULTI, Redis-bound: run side by side it slowed the enqueue it competes with for Redis). Refunds
  // that finish before their child exists are woken by the reconcile pass below.
  const queues = batchQueues(core);
  let enqueued = 0;
  let notEnqueued = 0;
  let done = 0;
  let t4 = t3;
  let flow: 'created' | 'exists' = 'exists';
  try {
    // Refunds go in chunks through the producer's bulk path: one pipeline of enqueue scripts and one
    // addBulk per chunk, each refund still atomic and idempotent on its own.
    const chunk = Math.max(1, options.concurrency ?? 500);
    {
      for (let i = 0; i < todo.length; i += chunk) {
        const part = todo.slice(i, i + chunk);
        const outcomes = await producer.enqueueRefunds(part.map((p) => p.input));
        for (const [j, out] of outcomes.entries()) {
          const p = part[j]!;
          if (out.ok) {
            if (out.result.created) enqueued++;
          } else {
            // Valid a moment ago, refused now (e.g. a live refund took the balance): final for this batch.
            notEnqueued++;
            const row = rows.find((r) => r.row === p.row)!;
            await setRow(core, batchId, { ...row, error: `not enqueued: ${out.error.message}`, skipped: 'not_enqueued' });
            logger.warn({ batchId, row: p.row, err: out.error.message }, 'batch row refused at enqueue');
          }
          options.onEnqueued?.(++done, todo.length);
        }
      }
    }
    t4 = performance.now();
    flow = await ensureBatchFlow(core, batchId, rows, options.parkMs ?? DEFAULT_PARK_MS);
    await setMeta(core, batchId, { flow: '1' });
    if (meta?.status !== 'complete') await setMeta(core, batchId, { status: 'running', enqueued: Date.now() });
    // Refunds that became final before their child existed (fast terminals, or a rerun) wake now.
    await reconcileBatch(core, queues.rows, batchId);
  } finally {
    await Promise.all([queues.rows.close(), queues.batches.close()]);
  }
  const t5 = performance.now();
  logger.info({ batchId, rows: rows.length, enqueued, existing: base.existing, alreadySubmitted: base.alreadySubmitted, skipped: base.skipped, notEnqueued }, 'refund batch enqueued');
  return { ...base, enqueued, notEnqueued, flow, timings: timings({ planMs: t3 - t2, enqueueMs: t4 - t3, enqueuedMs: t4 - t0, flowMs: t5 - t4, totalMs: t5 - t0 }) };
}
