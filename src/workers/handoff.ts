/** Final states and hand-off of the terminal, shared by both workers and the sweeper. */
import type { OperationState } from '../domain/operation/states.js';
import { assertTransition, isFinalState } from '../domain/operation/states.js';
import { eventTypeFor } from '../domain/events.js';
import { refundSettlement } from '../domain/operation/settlement.js';
import { REDACTED, type StoredOperation } from '../store/record.js';
import type { Effects, Fields } from '../store/operations.js';
import type { WorkerContext } from './context.js';

export interface FinishExtra {
  refundUid?: string;
  /** Only for this claim's POST: the record's claim must still be this one. */
  claim?: string;
  /** A final state that still has a follow-up (not_received: its late verification) due then. */
  janitorDue?: number;
  /** A paid charge's gateway uid, indexed to it with the final state. */
  uid?: string;
  /** Written with the final state: what led to it (the settling query), the job's log line, a counter. */
  effects?: Pick<Effects, 'prior' | 'jobLog' | 'incr'>;
}

/**
 * Records `state` (final) and gives the terminal to the next operation in line — one script — then
 * wakes that operation's job. Returns false when another actor already moved the operation on.
 */
export async function finishOperation(ctx: WorkerContext, op: StoredOperation, state: OperationState, fields: Fields = {}, extra: FinishExtra = {}): Promise<boolean> {
  assertTransition(op.state, state);
  const { core } = ctx;
  const now = core.now();
  const res = await core.store.finish(op, state, {
    expect: [op.state], now, nextLeaseUntil: now + core.settings.leaseMs, settleRefund: refundSettlement(op, state), refundUid: extra.refundUid,
    claim: extra.claim, janitorDue: extra.janitorDue, uid: extra.uid,
    fields: { ...fields, refund_uid: extra.refundUid },
    // The audit entry and the merchant event are written by the same script as the final state.
    // `fields` may carry the charge `key` from the query row (kept in the record for refunds); the
    // audit trail masks it like every other audit entry.
    effects: {
      ...extra.effects,
      audit: { event: 'final', data: { state, ...fields, ...(fields.key ? { key: REDACTED } : {}) }, summary: `${state}${fields.prc ? ` prc ${fields.prc}` : ''}` },
      event: eventTypeFor(op.kind, state),
    },
  });
  if (!res.ok) return false;
  // The script promoted the next operation's parked job already; one that was not parked is recovered here.
  if (res.next && !res.promoted) await wake(ctx, res.next);
  ctx.onEvent?.({ type: 'final', op, state });
  return true;
}

/** Hands the terminal on while the operation itself goes on (terminal known to be free). */
export async function releaseTerminal(ctx: WorkerContext, op: Pick<StoredOperation, 'id' | 'store' | 'device' | 'kind' | 'charge'>): Promise<void> {
  const now = ctx.core.now();
  const res = await ctx.core.store.finish(op, null, { now, nextLeaseUntil: now + ctx.core.settings.leaseMs });
  if (res.ok && res.next && !res.promoted) await wake(ctx, res.next);
}

async function wake(ctx: WorkerContext, nextId: string): Promise<void> {
  const recovered = await ctx.core.wake(nextId);
  // Not parked: the slow path read the record; one that finished while waiting (should not happen)
  // passes the terminal on again.
  if (recovered && isFinalState(recovered.state)) await releaseTerminal(ctx, recovered);
}
