/** `GET /v1/attention`: everything a person must act on, each with why and its runbook step (views/attention.ts). */
import { Router } from 'express';
import { z } from 'zod';
import { parseOrThrow } from '../../domain/validation.js';
import type { ApiOptions } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { attentionView } from '../views/attention.js';

const querySchema = z.strictObject({
  store_uid: z.string().min(1).optional(),
  per_kind: z.coerce.number().int().min(1).max(200).default(50),
});

export function attentionRoutes(api: ApiOptions): Router {
  const router = Router();
  router.get('/attention', async (req, res) => {
    const q = parseOrThrow(querySchema, { ...req.query });
    if (q.store_uid !== undefined && !api.stores.includes(q.store_uid)) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    res.json(await attentionView(api.core, q.store_uid ? [q.store_uid] : api.stores, api.attention ?? {}, q.per_kind));
  });
  return router;
}
