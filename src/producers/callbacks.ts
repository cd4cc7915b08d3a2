/**
 * Requests about operations already enqueued, made by callers (the API, the CLI), carried out by the
 * status worker: a gateway callback as a hint, an explicit recheck, an explicit retry of a
 * `not_received` operation. Each only (re)schedules the operation's status query; none changes a
 * state by itself.
 *
 * Gateway callbacks (回報) are hints, never truth: the spec gives them no signature, so the only way to
 * verify one is to ask the gateway (querydirect), which is what the hint does. A forged or stale
 * callback can do no harm.
 */
import { operationId } from '../store/keys.js';
import type { Core } from '../queues/core.js';
import type { StoredOperation } from '../store/record.js';

export type CallbackHintResult = 'queried' | 'unknown_order' | 'not_followed_up';
/** What a callback did: {@link CallbackHintResult}, or `coalesced` — an earlier callback asked the query moments ago. */
export type CallbackHintOutcome = CallbackHintResult | 'coalesced';

/** Callbacks for one order ask at most one query in this window (CALLBACK_COALESCE_MS). */
export const DEFAULT_CALLBACK_COALESCE_MS = 3_000;

/**
 * A callback for an order: the status query of the charge and of its refunds still open runs now.
 * Anyone can send one, so the first callback of an order marks it in Redis for `coalesceMs`
 * (`SET {tag}:cb:<store>:<order> PX NX`, shared by every API process) and the callbacks that come
 * within that window ask no query (`coalesced`): however many arrive, the gateway is asked at most
 * once per order per window. `coalesceMs: 0` turns that off.
 */
export async function handleCallbackHint(core: Core, hint: { store_uid: string; order_id: string }, options: { coalesceMs?: number } = {}): Promise<CallbackHintOutcome> {
  const charge = await core.store.get(operationId('charge', hint.store_uid, hint.order_id));
  if (!charge) return 'unknown_order';
  // The callback may be about the charge or about one of its refunds: query every one still open.
  const related = [charge, ...(await core.store.getMany(await core.store.children(charge.id)))];
  const open = related.filter((op): op is StoredOperation => op !== null && RECHECKABLE.has(op.state) && (op.kind === 'charge' || op.kind === 'refund'));
  if (open.length === 0) return 'not_followed_up';
  const windowMs = options.coalesceMs ?? DEFAULT_CALLBACK_COALESCE_MS;
  if (windowMs > 0 && (await core.redis.set(core.store.keys.callbackHint(hint.store_uid, hint.order_id), '1', 'PX', windowMs, 'NX')) !== 'OK') return 'coalesced';
  for (const op of open) await core.ensureStatusJob(op, 0, true);
  return 'queried';
}

/**
 * States a status query may still settle: those being followed up, and `unresolved` (the gateway
 * may report late, e.g. after A0001 「會主動再次回傳交易結果」). An `unresolved` operation gets one query:
 * a final answer settles it, anything else leaves it as it is.
 */
const RECHECKABLE = new Set(['accepted', 'unknown', 'pending', 'unresolved', 'not_received']);

/** Runs the status query of one charge or refund now (API `POST /v1/operations/{id}/recheck`). */
export async function recheckOperation(core: Core, op: StoredOperation): Promise<CallbackHintResult> {
  if (!RECHECKABLE.has(op.state) || (op.kind !== 'charge' && op.kind !== 'refund')) return 'not_followed_up';
  await core.ensureStatusJob(op, 0, true);
  return 'queried';
}

export type RetryRequest = { ok: true } | { ok: false; state: string; why: string };

/**
 * `POST /v1/operations/{id}/retry`: starting a `not_received` charge or refund again is an explicit
 * act. The status worker first queries the gateway once more: a row found there settles the operation
 * (flagged as a late row) and nothing is sent; only when there is still no trace is it sent again, as
 * a new attempt at the end of its terminal's line.
 */
export async function requestRetry(core: Core, op: StoredOperation): Promise<RetryRequest> {
  if (op.kind !== 'charge' && op.kind !== 'refund') return { ok: false, state: op.state, why: 'only charges and refunds can be retried' };
  if (op.state !== 'not_received') return { ok: false, state: op.state, why: `only a not_received operation can be retried (this one is ${op.state})` };
  const now = core.now();
  // Stays in the janitor's index: a lost status job is re-created and the retry still happens.
  if (!(await core.store.annotate(op.id, 'not_received', { retry_requested: now }, now + core.settings.janitorGraceMs))) {
    const current = await core.store.get(op.id);
    return { ok: false, state: current?.state ?? 'missing', why: 'the operation moved on meanwhile' };
  }
  await core.ensureStatusJob(op, 0, true);
  return { ok: true };
}
