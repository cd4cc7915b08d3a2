/**
 * `GET /v1/payments` (charges) and `GET /v1/operations` (every kind, `kind=` to choose): the
 * operations of a store, newest first, filtered by state, terminal, creation time and order id
 * prefix, a page at a time with a cursor (store/search.ts: a bounded cost per page whatever the
 * data size).
 */
import { Router } from 'express';
import type { z } from 'zod';
import { parseOrThrow } from '../../domain/validation.js';
import type { OperationKind } from '../../domain/operation/states.js';
import type { ApiOptions } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { operationsSearchQuerySchema, searchQuerySchema } from '../schemas.js';
import { shown } from '../views/payment.js';
import { storesOf } from '../scope.js';

export function searchRoutes(api: ApiOptions): Router {
  const { core } = api;
  const router = Router();

  /** One store's operations; the store among those of the key (the only one: the default). */
  async function search(q: z.output<typeof searchQuerySchema>, stores: readonly string[], kinds?: readonly OperationKind[]) {
    const problems: { field: string; message: string }[] = [];
    const store = q.store_uid ?? (stores.length === 1 ? stores[0] : undefined);
    if (store === undefined) problems.push({ field: 'store_uid', message: `is required when several stores are configured` });
    if (q.created_gte !== undefined && q.created_lt !== undefined && q.created_gte >= q.created_lt) problems.push({ field: 'created_lt', message: 'must be after created_gte' });
    if (problems.length) throw new HttpProblem(400, 'validation', 'Invalid request', problems);
    if (!stores.includes(store!)) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const page = await core.search.page({
      store: store!, kinds, state: q.state, device: q.device_name, createdGte: q.created_gte, createdLt: q.created_lt,
      orderIdPrefix: q.order_id_prefix, limit: q.limit, cursor: q.cursor,
    });
    return { data: page.operations.map(shown), next_cursor: page.next };
  }

  router.get('/payments', async (req, res) => {
    const q = parseOrThrow(searchQuerySchema, { ...req.query });
    res.json(await search(q, storesOf(res, api.stores), ['charge']));
  });

  router.get('/operations', async (req, res) => {
    const q = parseOrThrow(operationsSearchQuerySchema, { ...req.query });
    res.json(await search(q, storesOf(res, api.stores), q.kind));
  });
  return router;
}
