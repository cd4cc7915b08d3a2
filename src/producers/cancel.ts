/**
 * Withdrawing an operation before it is sent (`POST /v1/operations/{id}/cancel`, `producer.cancel`):
 * one that still waits in its terminal's line becomes `withdrawn` — final, its place in line freed,
 * a refund's reservation released, its event written — by the finish script, whose compare-and-set
 * on `queued|retry_wait` races the worker's claim (the claim script's compare-and-set on the same
 * states): exactly one of them wins, so nothing is ever POSTed after a withdrawal succeeded.
 */
import { eventTypeFor } from '../domain/events.js';
import { refundSettlement } from '../domain/operation/settlement.js';
import { isFinalState, type OperationState } from '../domain/operation/states.js';
import type { Core } from '../queues/core.js';
import type { StoredOperation } from '../store/record.js';

export type CancelResult =
  | { ok: true; operation: StoredOperation }
  | { ok: false; state: OperationState; why: string };

export async function cancelOperation(core: Core, op: StoredOperation): Promise<CancelResult> {
  if (op.state !== 'queued' && op.state !== 'retry_wait') {
    return { ok: false, state: op.state, why: isFinalState(op.state) ? 'it is final already' : 'it was sent to the terminal already' };
  }
  const now = core.now();
  const res = await core.store.finish(op, 'withdrawn', {
    expect: ['queued', 'retry_wait'], now, nextLeaseUntil: now + core.settings.leaseMs,
    settleRefund: refundSettlement(op, 'withdrawn'),
    fields: { msg: 'withdrawn before it was sent (cancel requested)' },
    effects: { audit: { event: 'final', data: { state: 'withdrawn', by: 'cancel' }, summary: 'withdrawn' }, event: eventTypeFor(op.kind, 'withdrawn') },
  });
  // An explicit retry of a not_received operation: its first POST's outcome was unknown, and only the
  // follow-up of this attempt would still see that POST land late — the finish script refuses it.
  if (!res.ok && res.state === 'unknown_posts') {
    return { ok: false, state: op.state, why: 'an earlier attempt of it may still land at the gateway (its outcome was unknown): it cannot be withdrawn' };
  }
  if (!res.ok) {
    const state = (res.state || op.state) as OperationState;
    return { ok: false, state, why: state === 'sending' ? 'it was sent to the terminal meanwhile' : `it is ${state} now` };
  }
  // Its parked job has nothing left to do (one a worker holds right now sees the final state and stops).
  await core.deviceQueue.remove(op.id).catch(() => undefined);
  // It may have held the terminal (its turn had come): the finish script gave it to the next in line
  // and promoted its parked job; one that was not parked is recovered here.
  let next = res.promoted ? null : res.next;
  while (next) {
    const recovered = await core.wake(next);
    if (!recovered || !isFinalState(recovered.state)) break;
    const t = core.now();
    const again = await core.store.finish(recovered, null, { now: t, nextLeaseUntil: t + core.settings.leaseMs });
    next = again.ok && !again.promoted ? again.next : null;
  }
  return { ok: true, operation: (await core.store.get(op.id)) ?? { ...op, state: 'withdrawn' } };
}
