/**
 * Webhook deliveries for a person (docs/WEBHOOKS.md › Runbook), behind the API's Bearer keys:
 * - `GET /v1/webhooks/deliveries?state=failed&endpoint=&store_uid=&event_id=&offset=&limit=` — deliveries
 *   in event order;
 * - `POST /v1/webhooks/deliveries/replay` `{endpoint?, store_uid?, event_id?, limit?}` — runs failed
 *   deliveries again, in event order, with a fresh retry schedule.
 * The schemas are exported for the OpenAPI document.
 */
import { Router, type Response } from 'express';
import { z } from 'zod';
import { parseOrThrow } from '../../domain/validation.js';
import type { ApiOptions } from '../deps.js';
import { DELIVERY_STATES, listDeliveries, replayDeliveries } from '../../workers/notify/deliveries.js';
import { HttpProblem } from '../problem.js';
import { seesEveryStore, storesOf } from '../scope.js';

const endpointId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'an endpoint id: letters, digits, _ and -').meta({ description: 'Endpoint id (`default` for WEBHOOK_URL)' });
const eventId = z.string().regex(/^evt_\d{1,16}-\d{1,16}$/, 'an event id: evt_<stream id>').meta({ description: 'Event id (the webhook-id)' });

export const deliveriesQuerySchema = z.strictObject({
  state: z.enum(DELIVERY_STATES).default('failed').meta({ description: 'failed (no attempts left, replayable), delayed (waiting for a retry or its turn), waiting, active, completed' }),
  endpoint: endpointId.optional(),
  store_uid: z.string().min(1).max(16).optional(),
  event_id: eventId.optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const replayBodySchema = z
  .strictObject({
    endpoint: endpointId.optional(),
    store_uid: z.string().min(1).max(16).optional(),
    event_id: eventId.optional().meta({ description: "Replay this event's failed deliveries (and the failed earlier events of its operation to the same endpoint, which it would wait for)" }),
    limit: z.number().int().min(1).max(10_000).default(1_000),
  })
  .meta({ description: 'Which failed deliveries to run again (all of them when empty), in event order' });

export const deliverySchema = z
  .object({
    id: z.string().meta({ description: 'Delivery (BullMQ job) id: <endpoint>.<stream id>' }),
    endpoint: z.string(),
    store_uid: z.string(),
    event_id: z.string(),
    event_type: z.string(),
    operation_id: z.string(),
    name: z.string().meta({ description: 'As Bull Board shows it: type · store · order → host' }),
    state: z.string(),
    attempts_made: z.number().int(),
    attempts_max: z.number().int(),
    last_error: z.string().nullable(),
    created_at: z.string(),
    finished_at: z.string().nullable(),
    next_attempt_at: z.string().nullable(),
  })
  .meta({ description: 'One delivery of one event to one endpoint' });

export const deliveriesAnswerSchema = z.object({
  deliveries: z.array(deliverySchema),
  total: z.number().int(),
  offset: z.number().int(),
  limit: z.number().int(),
  next_offset: z.number().int().nullable(),
});

export const replayAnswerSchema = z.object({
  replayed: z.number().int(),
  deliveries: z.array(z.object({ id: z.string(), endpoint: z.string(), event_id: z.string(), event_type: z.string(), operation_id: z.string() })),
  remaining: z.number().int().meta({ description: 'Matching failed deliveries over the limit: call again' }),
});

/**
 * The stores a key's request may touch: `stores` (its scope) when it does not see every store
 * (deliveries of other stores are left out), nothing to filter otherwise; a `store_uid` outside
 * its scope is not found, as one not configured.
 */
function scopeOf(res: Response, api: ApiOptions, storeUid: string | undefined): { stores?: readonly string[] } {
  const stores = storesOf(res, api.stores);
  if (storeUid !== undefined && !seesEveryStore(res, api.stores) && !stores.includes(storeUid)) {
    throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
  }
  return seesEveryStore(res, api.stores) ? {} : { stores };
}

export function webhookRoutes(api: ApiOptions): Router {
  const router = Router();

  router.get('/webhooks/deliveries', async (req, res) => {
    const q = parseOrThrow(deliveriesQuerySchema, { ...req.query });
    const scope = scopeOf(res, api, q.store_uid);
    const r = await listDeliveries(api.core, { state: q.state, endpoint: q.endpoint, store: q.store_uid, ...scope, eventId: q.event_id, offset: q.offset, limit: q.limit });
    res.json({ deliveries: r.deliveries, total: r.total, offset: q.offset, limit: q.limit, next_offset: r.next_offset });
  });

  router.post('/webhooks/deliveries/replay', async (req, res) => {
    const b = parseOrThrow(replayBodySchema, req.body ?? {});
    const scope = scopeOf(res, api, b.store_uid);
    const r = await replayDeliveries(api.core, { endpoint: b.endpoint, store: b.store_uid, ...scope, eventId: b.event_id, limit: b.limit });
    api.logger.info({ replayed: r.replayed.length, remaining: r.remaining, endpoint: b.endpoint, store: b.store_uid, event: b.event_id }, 'webhook deliveries replayed');
    res.status(202).json({ replayed: r.replayed.length, deliveries: r.replayed, remaining: r.remaining });
  });

  return router;
}
