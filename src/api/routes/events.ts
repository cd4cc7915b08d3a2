/**
 * `GET /v1/events`: the event feed (docs/EVENTS.md). Oldest first after a cursor, kept for the record
 * retention, so a merchant whose endpoint was down catches up, and one without a public endpoint
 * consumes events by polling one cheap call. Each page costs a bounded number of stream entries.
 */
import { Router } from 'express';
import { parseOrThrow } from '../../domain/validation.js';
import type { ApiOptions } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { eventsQuerySchema } from '../schemas.js';
import { streamIdOf } from '../../store/events.js';
import { storesOf } from '../scope.js';

export function eventRoutes(api: ApiOptions): Router {
  const { core } = api;
  const router = Router();
  router.get('/events', async (req, res) => {
    const q = parseOrThrow(eventsQuerySchema, { ...req.query });
    // The stores of the key: another store is not configured, as far as it can tell.
    const stores = storesOf(res, api.stores);
    if (q.store_uid !== undefined && !stores.includes(q.store_uid)) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const after = q.after ? (streamIdOf(q.after) ?? undefined) : undefined;
    const types = q.type ? new Set<string>(q.type) : undefined;
    const store = q.store_uid ?? (stores.length === 1 ? stores[0] : undefined);
    const page = store
      ? await core.events.page(store, { after, limit: q.limit, types })
      : await core.events.pageAll({ after, limit: q.limit, types, stores: new Set(stores) });
    // The cursor always moves past what was looked at, so a filtered poll never rescans it.
    res.json({ data: page.events, next_cursor: page.cursor ?? q.after ?? null, has_more: page.more });
  });
  return router;
}
