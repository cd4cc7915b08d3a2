/**
 * Gateway callbacks (回報) are hints, never truth: a callback only makes the operation's status
 * query run now. It never changes a state by itself (a forged or stale callback can do no harm).
 */
import { operationId } from '../store/keys.js';
import type { Core } from '../queues/core.js';
import type { StoredOperation } from '../store/record.js';

export type CallbackHintResult = 'queried' | 'unknown_order' | 'not_followed_up';

export async function handleCallbackHint(core: Core, hint: { store_uid: string; order_id: string }): Promise<CallbackHintResult> {
  const charge = await core.store.get(operationId('charge', hint.store_uid, hint.order_id));
  if (!charge) return 'unknown_order';
  // The callback may be about the charge or about one of its refunds: query every one still open.
  const related = [charge, ...(await core.store.getMany(await core.store.children(charge.id)))];
  const open = related.filter((op): op is StoredOperation => op !== null && RECHECKABLE.has(op.state) && (op.kind === 'charge' || op.kind === 'refund'));
  for (const op of open) await core.ensureStatusJob(op, 0, true);
  return open.length ? 'queried' : 'not_followed_up';
}

/**
 * States a status query may still settle: those being followed up, and `unresolved` (the gateway
 * may report late, e.g. after A0001 「會主動再次回傳交易結果」). An `unresolved` operation gets one query:
 * a final answer settles it, anything else leaves it as it is.
 */
const RECHECKABLE = new Set(['accepted', 'unknown', 'pending', 'unresolved']);

/** Runs the status query of one charge or refund now (API `POST /v1/operations/{id}/recheck`). */
export async function recheckOperation(core: Core, op: StoredOperation): Promise<CallbackHintResult> {
  if (!RECHECKABLE.has(op.state) || (op.kind !== 'charge' && op.kind !== 'refund')) return 'not_followed_up';
  await core.ensureStatusJob(op, 0, true);
  return 'queried';
}
