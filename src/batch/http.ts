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
 */
import { HttpProblem, sendProblem, toProblem } from '../api/problem.js';
import { ValidationError } from '../domain/validation.js';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import { pino } from 'pino';
import type { Producer } from '../producers/operations.producer.js';
import type { Core } from '../queues/core.js';
import { BatchConflictError, BatchIdError, BatchRefusedError } from './errors.js';
import { BATCH_ID_PATTERN } from './keys.js';
import { resultsCsv } from './results.js';
import { runBatch, type RunBatchInput } from './run.js';
import { getBatchStatus } from './status.js';
import type { RowIssue } from './types.js';

export interface RefundBatchRouterDeps {
  core: Core;
  producer: Producer;
  /** Store uids this deployment acts for; the only one is the default store of rows. */
  stores: readonly string[];
  /** Authentication for these routes (e.g. the API's bearer auth). Default: none — mount behind it. */
  auth?: RequestHandler;
  /** Largest batch body. Default 20 MiB (10 000 rows is about 1 MiB). */
  bodyLimitBytes?: number;
  /** Refunds enqueued concurrently. Default 100. */
  concurrency?: number;
  /** Path of the collection. Default `/v1/refund-batches`. */
  basePath?: string;
  logger?: Logger;
}

const PROBLEM = 'application/problem+json';

function problem(res: Response, status: number, code: string, title: string, detail: string, errors: (RowIssue | { field: string; message: string })[] = []): void {
  res.status(status).type(PROBLEM).json({ type: `urn:mypay:problem:${code}`, title, status, detail, code, errors });
}

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
    const input: RunBatchInput = { stores: deps.stores };
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
      return problem(res, 400, 'batch_body', 'No batch', 'send the rows as text/csv (header line first) or application/json ({"rows": [...]})');
    }
    input.storeUid ??= deps.stores.length === 1 ? deps.stores[0] : undefined;
    try {
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
    } catch (err) {
      if (err instanceof BatchRefusedError) return problem(res, 422, 'batch_invalid', 'Invalid batch: nothing was enqueued', err.message, err.issues);
      if (err instanceof BatchConflictError) return problem(res, 409, 'batch_conflict', 'Batch id taken', err.message, [{ field: 'batch_id', message: err.message }]);
      if (err instanceof BatchIdError) return problem(res, 400, 'batch_id', 'Invalid batch id', err.message, [{ field: 'batch_id', message: err.message }]);
      throw err;
    }
  });

  router.get(`${base}/:id`, ...guard, async (req: Request, res: Response) => {
    const id = String(req.params.id);
    if (!BATCH_ID_PATTERN.test(id)) return problem(res, 404, 'not_found', 'No such batch', `no batch ${id}`);
    const wantsCsv = req.query.format === 'csv' || (req.accepts(['application/json', 'text/csv']) === 'text/csv');
    const status = await getBatchStatus(deps.core, id, { rows: true });
    if (!status) return problem(res, 404, 'not_found', 'No such batch', `no batch ${id}`);
    if (wantsCsv) return void res.status(200).type('text/csv').send(resultsCsv(status.rows ?? []));
    res.status(200).json(status);
  });

  const onError: ErrorRequestHandler = (err: Error & { status?: number; type?: string }, _req, res, next) => {
    if (res.headersSent) return next(err);
    if (err.type === 'entity.too.large') return problem(res, 413, 'body_too_large', 'Batch too large', `the body exceeds ${limit} bytes`);
    if (err.type === 'entity.parse.failed') return problem(res, 400, 'batch_body', 'Unreadable body', 'the JSON body does not parse');
    // Errors that already know their answer (authentication, validation): the API's own mapping.
    if (err instanceof HttpProblem || err instanceof ValidationError) {
      const { problem: p, headers } = toProblem(err);
      return sendProblem(res, p, headers);
    }
    logger.error({ err: err.message }, 'refund batch request failed');
    problem(res, 500, 'internal', 'Internal error', 'the batch request failed; retrying with the same batch id is safe');
  };
  router.use(base, onError);
  return router;
}
