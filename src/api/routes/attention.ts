/** `GET /v1/attention`: everything a person must act on, each with why and its runbook step (views/attention.ts). */
import { Router } from 'express';
import { z } from 'zod';
import { parseOrThrow } from '../../domain/validation.js';
import type { ApiOptions } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { attentionView, type AttentionSources } from '../views/attention.js';
import { seesEveryStore, storesOf } from '../scope.js';

const querySchema = z.strictObject({
  store_uid: z.string().min(1).optional(),
  per_kind: z.coerce.number().int().min(1).max(200).default(50),
});

export function attentionRoutes(api: ApiOptions): Router {
  const router = Router();
  router.get('/attention', async (req, res) => {
    const q = parseOrThrow(querySchema, { ...req.query });
    const stores = storesOf(res, api.stores);
    if (q.store_uid !== undefined && !stores.includes(q.store_uid)) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const only = q.store_uid ? [q.store_uid] : stores;
    // Failed webhook deliveries of the stores asked about only (counted over them, not the deployment).
    const failed = api.attention?.failedWebhooks;
    const sources: AttentionSources = failed ? { failedWebhooks: only.length === api.stores.length && seesEveryStore(res, api.stores) ? failed : () => failed(only) } : {};
    res.json(await attentionView(api.core, only, sources, q.per_kind));
  });
  return router;
}
