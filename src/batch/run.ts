/**
 * One run of a batch (issue #6): parse → validate every row → (refuse | dry run) → write the plan →
 * create the Bull Board flow → enqueue the refunds. Every step is idempotent, so running the same
 * file with the same batch id again picks up where an interrupted run stopped and never refunds
 * twice: refund ids are the idempotency keys (derived from batch id + row when the file has none),
 * the plan is frozen once the flow exists, and the producer turns a known refund id into a no-op.
 */
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Core } from '../queues/core.js';
import type { Producer } from '../producers/operations.producer.js';
import { BATCH_ID_PATTERN } from './keys.js';
import { BatchConflictError, BatchIdError, BatchRefusedError } from './errors.js';
import { DEFAULT_PARK_MS, batchQueues, ensureBatchFlow } from './flow.js';
import { parseBatchText, parseJsonValue, fileHash, type BatchFormat, type ParsedFile } from './parse.js';
import { readMeta, readRows, setMeta, setRow, writePlan } from './store.js';
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
  /** Refunds that already existed (an earlier run of this batch). */
  existing: number;
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
  const report = await validateBatch(core, parsed, { batchId, storeUid: input.storeUid, stores: input.stores });
  const t2 = performance.now();
  const fileIssues = report.issues.filter((i) => i.row === 0);
  const base = {
    batchId, dryRun: Boolean(input.dryRun), rows: report.rows.length, valid: report.planned.length,
    existing: report.planned.filter((p) => p.existing).length, skipped: report.invalidRows.size, issues: report.issues,
  };
  const timings = (extra: Partial<RunBatchResult['timings']> = {}) => ({
    parseMs: t1 - t0, validateMs: t2 - t1, planMs: 0, flowMs: 0, enqueueMs: 0, enqueuedMs: 0, totalMs: performance.now() - t0, ...extra,
  });
  if (fileIssues.length || (report.issues.length && !input.skipInvalid)) throw new BatchRefusedError(batchId, report.issues);
  if (report.planned.length === 0) throw new BatchRefusedError(batchId, report.issues, `batch ${batchId} refused: no valid row; nothing was enqueued`);
  if (input.dryRun) return { ...base, enqueued: 0, notEnqueued: 0, flow: 'none', timings: timings() };

  // The plan. Once the flow exists it is frozen: rows skipped or refused by an earlier run stay so.
  const frozen = meta?.flow === '1' ? new Map((await readRows(core, batchId)).map((r) => [r.row, r])) : null;
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
    id: batchId, store: input.storeUid, file_hash: parsed.hash, rows: rows.length,
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
  logger.info({ batchId, rows: rows.length, enqueued, existing: base.existing, skipped: base.skipped, notEnqueued }, 'refund batch enqueued');
  return { ...base, enqueued, notEnqueued, flow, timings: timings({ planMs: t3 - t2, enqueueMs: t4 - t3, enqueuedMs: t4 - t0, flowMs: t5 - t4, totalMs: t5 - t0 }) };
}
