/**
 * `POST /v1/callbacks/mypay`: the gateway's 回報 as a hint only (producers/callbacks.ts). The callback
 * fields carry no store_uid, so the store comes from the callback URL (`?store_uid=`), else each
 * store it may concern is tried (`stores`: those whose callback secret it brings, callback-guard.ts).
 * The hint wakes the follow-up of the charge and of its refunds still waiting for their outcome, at
 * most once per order per `coalesceMs`.
 */
import type { Core } from '../queues/core.js';
import { handleCallbackHint, type CallbackHintOutcome } from '../producers/callbacks.js';
import { callbackBodySchema } from './schemas.js';
import { HttpProblem } from './problem.js';

export interface CallbackReply {
  result: CallbackHintOutcome;
  store_uid?: string;
  order_id: string;
}

export async function callbackHint(core: Core, stores: readonly string[], body: unknown, storeParam: unknown, options: { coalesceMs?: number } = {}): Promise<CallbackReply> {
  const parsed = callbackBodySchema.safeParse(body);
  const fields = parsed.success ? (parsed.data as { order_id?: string }) : {};
  const orderId = fields.order_id?.trim() ?? '';
  if (!orderId) throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: 'order_id', message: 'is required' }]);
  if (storeParam !== undefined && (typeof storeParam !== 'string' || !stores.includes(storeParam))) {
    throw new HttpProblem(400, 'validation', 'Invalid request', [{ field: 'store_uid', message: 'is not a store configured in this deployment' }]);
  }
  const candidates = typeof storeParam === 'string' ? [storeParam] : stores;
  for (const store of candidates) {
    // Covers the charge and its open refunds alike (a refund callback carries the charge's order_id).
    const result = await handleCallbackHint(core, { store_uid: store, order_id: orderId }, options);
    if (result !== 'unknown_order') return { result, store_uid: store, order_id: orderId };
  }
  return { result: 'unknown_order', order_id: orderId };
}
