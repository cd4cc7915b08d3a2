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

export function queryRoutes(api: ApiOptions): Router {
  const { core, stores } = api;
  const router = Router();

  router.get('/payments/:store_uid/:order_id', async (req, res) => {
    const { store_uid: storeUid, order_id: orderId } = req.params;
    if (!stores.includes(storeUid)) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const view = await paymentView(core, storeUid, orderId);
    if (!view) throw new HttpProblem(404, 'not_found', 'Not found', [{ field: 'order_id', message: 'no charge with this order_id' }]);
    res.json(view);
  });

  router.get('/devices', async (req, res) => {
    const q = parseOrThrow(devicesQuerySchema, { ...req.query });
    if (q.store_uid && !stores.includes(q.store_uid)) throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
    const devices = (await devicesView(core, { storeUid: q.store_uid, offset: q.offset, limit: q.limit })).filter((d) => stores.includes(d.store_uid));
    res.json({ devices, offset: q.offset, limit: q.limit });
  });
  return router;
}

/** Mounted without the Bearer check: the gateway cannot send our API key. A hint can do no harm. */
export function callbackRoutes(api: ApiOptions, limitBytes: number): Router {
  const router = Router();
  router.post('/callbacks/mypay', ...formOrJsonBody(limitBytes), async (req, res) => {
    res.json(await callbackHint(api.core, api.stores, req.body ?? {}, req.query.store_uid));
  });
  return router;
}
