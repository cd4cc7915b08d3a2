/** `GET /v1/payments/:store_uid/:order_id`, `GET /v1/devices`, `POST /v1/callbacks/mypay`. */
import { Router } from 'express';
import { parseOrThrow } from '../../domain/validation.js';
import { formOrJsonBody } from '../body.js';
import { callbackHint } from '../callback-hint.js';
import type { ApiOptions } from '../deps.js';
import { HttpProblem } from '../problem.js';
import { devicesQuerySchema } from '../schemas.js';
import { devicesView } from '../views/devices.js';
import { paymentView } from '../views/payment.js';
import { storesOf } from '../scope.js';
import { callbackGuard } from '../callback-guard.js';

export function queryRoutes(api: ApiOptions): Router {
  const { core } = api;
  const router = Router();

  router.get('/payments/:store_uid/:order_id', async (req, res) => {
    const { store_uid: storeUid, order_id: orderId } = req.params;
    // A store outside the key's scope is answered as one not configured.
    if (!storesOf(res, api.stores).includes(storeUid)) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const view = await paymentView(core, storeUid, orderId);
    if (!view) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'order_id', message: 'no charge with this order_id' }]);
    res.json(view);
  });

  // Configured terminals (also never used ones) and those seen in Redis, by name (views/devices.ts).
  router.get('/devices', async (req, res) => {
    const q = parseOrThrow(devicesQuerySchema, { ...req.query });
    const stores = storesOf(res, api.stores);
    if (q.store_uid && !stores.includes(q.store_uid)) throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const devices = await devicesView(core, { storeUid: q.store_uid, stores, terminals: api.terminals, offset: q.offset, limit: q.limit });
    res.json({ devices, offset: q.offset, limit: q.limit });
  });
  return router;
}

/**
 * Mounted without the Bearer check: the gateway cannot send our API key. A hint can do no harm, but
 * anyone can send one, so it is guarded (callback-guard.ts): the client address' rate, then the
 * store's shared secret before anything is looked up, and one gateway query per order per window.
 */
export function callbackRoutes(api: ApiOptions, limitBytes: number): Router {
  const router = Router();
  const guard = callbackGuard(api.callbacks);
  router.post('/callbacks/mypay', guard.rateLimit, ...formOrJsonBody(limitBytes), async (req, res) => {
    const candidates = guard.storesFor(req, api.stores);
    res.json(await callbackHint(api.core, candidates, req.body ?? {}, req.query.store_uid, { coalesceMs: guard.coalesceMs }));
  });
  return router;
}
