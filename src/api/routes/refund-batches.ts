/**
 * `POST /v1/refund-batches` (CSV or JSON body) and `GET /v1/refund-batches/{id}` as an express
 * Router, for the API app to mount (it brings authentication: pass `auth`, or mount the router
 * behind it). The router parses its own bodies (CSV text or JSON, up to `bodyLimitBytes`), so it
 * must be mounted before an app-wide body parser with a smaller limit.
 *
 * POST: `text/csv` body with `?batch_id=&skip_invalid=1&dry_run=1&store_uid=`, or a JSON body
 * `{ rows: [...], batch_id?, skip_invalid?, dry_run?, store_uid? }` (or a bare array of rows).
 * 202 with the batch summary; 200 for a dry run; 200 with `all_seen: true` and nothing enqueued
 * when every row was already submitted by an earlier batch (a re-export: no batch is created);
 * 422 with every bad row; 409 batch id taken by another file. Summaries count the rows already
 * submitted earlier (`already_submitted`, `message`). GET: counts by state and per-row results; `Accept: text/csv` or `?format=csv`
 * answers the results CSV.
 *
 * A key scoped to some stores (scope.ts) enqueues rows of its stores only (another store's rows are
 * refused as not configured; its only store is the default of rows), and sees a batch only when the
 * batch concerns one of its stores — the rows of its stores only, counted over them (404 otherwise).
 *
 * Every refusal is a problem+json from the API's one mapper (../problem.ts): the batch errors
 * (src/batch/errors.ts) carry their own status, code and rows at fault. The router installs that
 * mapper for its own paths, so it answers alike when mounted in an app of its own (tests).
 */
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { pino } from 'pino';
import { BATCH_ID_PATTERN, batchStores, countStates, getBatchStatus, readRows, resultsCsv, runBatch, storeOfOpId, type BatchStatus, type RunBatchInput } from '../../batch/index.js';
import type { Producer } from '../../producers/operations.producer.js';
import type { Core } from '../../queues/core.js';
import { HttpProblem, problemHandler } from '../problem.js';
import { seesEveryStore, storesOf } from '../scope.js';

export interface RefundBatchRouterDeps {
  core: Core;
  producer: Producer;
  /**
   * Store uids this deployment acts for; the only one is the default store of rows. A request
   * whose auth attached a scoped principal (`res.locals.principal`, ../scope.ts) acts on the
   * stores of its key among them.
   */
  stores: readonly string[];
  /** Authentication for these routes (e.g. the API's bearer auth, which attaches the principal). Default: none — mount behind it. */
  auth?: RequestHandler;
  /** Largest batch body. Default 20 MiB (10 000 rows is about 1 MiB). */
  bodyLimitBytes?: number;
  /** Refunds enqueued concurrently. Default 100. */
  concurrency?: number;
  /** Path of the collection. Default `/v1/refund-batches`. */
  basePath?: string;
  logger?: Logger;
}

const noBatch = (id: string) => new HttpProblem(404, 'not_found', 'No such batch', [{ field: 'id', message: 'no such batch' }], {}, `no batch ${id}`);

const flag = (v: unknown) => v === true || v === '1' || v === 'true' || v === 'yes';
const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

export function createRefundBatchRouter(deps: RefundBatchRouterDeps): Router {
  const router = Router();
  const base = deps.basePath ?? '/v1/refund-batches';
  const limit = deps.bodyLimitBytes ?? 20 * 1024 * 1024;
  const logger = deps.logger ?? pino({ level: 'silent' });
  const guard: RequestHandler[] = deps.auth ? [deps.auth] : [];
  const bodies = [
    express.text({ type: ['text/csv', 'text/plain', 'application/csv'], limit }),
    express.json({ limit }),
  ];

  router.post(base, ...guard, ...bodies, async (req: Request, res: Response) => {
    const body: unknown = req.body;
    const q = req.query;
    const stores = storesOf(res, deps.stores);
    const input: RunBatchInput = { stores };
    if (typeof body === 'string' && body.trim() !== '') {
      Object.assign(input, { text: body, format: 'csv', batchId: str(q.batch_id), skipInvalid: flag(q.skip_invalid), dryRun: flag(q.dry_run), storeUid: str(q.store_uid) });
    } else if (Array.isArray(body) || (body && typeof body === 'object' && Object.keys(body).length > 0)) {
      const o = Array.isArray(body) ? {} : (body as Record<string, unknown>);
      Object.assign(input, {
        json: Array.isArray(body) ? body : { rows: o.rows },
        batchId: str(o.batch_id) ?? str(q.batch_id),
        skipInvalid: flag(o.skip_invalid ?? q.skip_invalid),
        dryRun: flag(o.dry_run ?? q.dry_run),
        storeUid: str(o.store_uid) ?? str(q.store_uid),
      });
    } else {
      throw new HttpProblem(400, 'batch_body', 'No batch', [{ field: '(body)', message: 'is required' }], {}, 'send the rows as text/csv (header line first) or application/json ({"rows": [...]})');
    }
    input.storeUid ??= stores.length === 1 ? stores[0] : undefined;
    // Batch errors (refused rows 422, id taken 409, bad id 400) go to the problem mapper as thrown.
    const r = await runBatch({ core: deps.core, producer: deps.producer, logger }, input, { concurrency: deps.concurrency });
    const summary = {
      batch_id: r.batchId, rows: r.rows, valid: r.valid, enqueued: r.enqueued, existing: r.existing,
      already_submitted: r.alreadySubmitted, all_seen: r.allSeen, earlier_batches: r.earlierBatches,
      skipped: r.skipped, not_enqueued: r.notEnqueued, issues: r.issues, ...(r.notice ? { message: r.notice } : {}),
    };
    if (r.dryRun) return void res.status(200).json({ ...summary, dry_run: true });
    // Every row already submitted by an earlier batch: nothing enqueued, no batch to point to.
    if (r.allSeen) return void res.status(200).json(summary);
    res.status(202).location(`${base}/${r.batchId}`).json({ ...summary, status_url: `${base}/${r.batchId}` });
  });

  router.get(`${base}/:id`, ...guard, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!BATCH_ID_PATTERN.test(id)) throw noBatch(id);
    const wantsCsv = req.query.format === 'csv' || (req.accepts(['application/json', 'text/csv']) === 'text/csv');
    const found = await getBatchStatus(deps.core, id, { rows: true });
    const status = found && (seesEveryStore(res, deps.stores) ? found : await scoped(deps.core, found, storesOf(res, deps.stores)));
    if (!status) throw noBatch(id);
    if (wantsCsv) return void res.status(200).type('text/csv').send(resultsCsv(status.rows ?? []));
    res.status(200).json(status);
  });

  router.use(base, problemHandler(logger));
  return router;
}

/**
 * A batch as a key of `stores` sees it: null when it concerns none of them; as it is when it
 * concerns only them; else their rows only (the rows of refunds of their stores), counted over
 * those, without the default store when it is another's.
 */
async function scoped(core: Core, status: BatchStatus, stores: readonly string[]): Promise<BatchStatus | null> {
  const involved = await batchStores(core, status.batch_id);
  if (!involved.some((s) => stores.includes(s))) return null;
  if (involved.every((s) => stores.includes(s))) return status;
  const mine = new Set((await readRows(core, status.batch_id)).flatMap((r) => (r.op && stores.includes(storeOfOpId(r.op) ?? '') ? [r.row] : [])));
  const rows = (status.rows ?? []).filter((r) => mine.has(r.row));
  const { counts, final } = countStates(rows);
  const { store_uid: store, ...rest } = status;
  return { ...rest, ...(store !== undefined && stores.includes(store) ? { store_uid: store } : {}), rows_total: rows.length, final, counts, rows };
}
