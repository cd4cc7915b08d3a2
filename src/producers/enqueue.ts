/** The one path every producer takes into Redis: create the record (idempotently), then its job. */
import type { Core } from '../queues/core.js';
import type { CreateOperation, CreateResult, Fields } from '../store/operations.js';
import { storedOperationSchema, toRecord, type OperationRecord, type StoredOperation } from '../store/record.js';
import { IdempotencyConflictError, RefundBalanceError, chargeNotPaid, fieldError } from './errors.js';

export interface EnqueueResult {
  /** `false` when the key already named this operation (an idempotent replay). */
  created: boolean;
  operation: OperationRecord;
}

export type EnqueueOutcome = { ok: true; result: EnqueueResult } | { ok: false; error: Error };

export async function enqueueOperation(core: Core, create: CreateOperation, keyField: string): Promise<EnqueueResult> {
  const [out] = await enqueueOperations(core, [{ create, keyField }]);
  if (!out!.ok) throw out!.error;
  return out!.result;
}

/**
 * Creates many operations with one pipeline of enqueue scripts (each still atomic on its own) and
 * one `addBulk` of their jobs. Per-item errors (conflict, balance, …) do not stop the others.
 */
export async function enqueueOperations(core: Core, items: { create: CreateOperation; keyField: string }[]): Promise<EnqueueOutcome[]> {
  const now = core.now();
  const results = await core.store.createMany(items.map((i) => i.create), now, now + core.settings.leaseMs);
  const replays = items.flatMap((item, i) => (isStatus(results[i], 'existing') ? [item.create.id] : []));
  const existing = new Map((await core.store.getMany(replays)).filter((o): o is StoredOperation => o !== null).map((o) => [o.id, o]));

  const outcomes: EnqueueOutcome[] = [];
  const toPark: { op: StoredOperation; holdsLease: boolean }[] = [];
  const replayedQueued: StoredOperation[] = [];
  items.forEach(({ create, keyField }, i) => {
    const res = results[i]!;
    if (res instanceof Error) return outcomes.push({ ok: false, error: res });
    switch (res.status) {
      case 'conflict':
        return outcomes.push({ ok: false, error: new IdempotencyConflictError(keyField, create.id, res.state) });
      case 'over_refund':
        return outcomes.push({ ok: false, error: new RefundBalanceError(res.refundable, create.reserveOn?.amount ?? 0) });
      case 'reused':
        // The record expired but the order_id's tombstone did not: a new charge under it would be
        // refused by the gateway as a duplicate (or, worse, matched to the old order).
        return outcomes.push({
          ok: false,
          error: fieldError(keyField, `was already used for a charge on ${new Date(res.firstUsedAt).toISOString()} (its record has expired; order ids are never reused): use a new order_id`),
        });
      case 'charge_not_refundable':
        // The charge moved on since it was read (or was never paid): say what is true of its state.
        return outcomes.push({ ok: false, error: notRefundable(create, res.state) });
      case 'existing': {
        const op = existing.get(create.id);
        if (!op) return outcomes.push({ ok: false, error: new Error(`${create.id} vanished during enqueue`) });
        // A replay of an enqueue whose first run may have died between the record and the job.
        if (op.state === 'queued') replayedQueued.push(op);
        return outcomes.push({ ok: true, result: { created: false, operation: toRecord(op) } });
      }
      case 'created': {
        const op = newRecord(create, now);
        toPark.push({ op, holdsLease: res.dispatched });
        return outcomes.push({ ok: true, result: { created: true, operation: toRecord(op) } });
      }
    }
  });
  const holders = await core.store.leaseHolders(replayedQueued);
  toPark.push(...replayedQueued.map((op, i) => ({ op, holdsLease: holders[i] === op.id })));
  await core.parkMany(toPark);
  return outcomes;
}

/** A refund the enqueue script refused because its charge is not paid or partially refunded. */
function notRefundable(create: CreateOperation, state: string): Error {
  if (state === 'refunded') return new RefundBalanceError(0, create.reserveOn?.amount ?? 0);
  if (state === 'missing') return fieldError('order_id', 'the charge is gone (its record expired): nothing to refund');
  return chargeNotPaid('order_id', String(create.fields.order_id ?? create.reserveOn?.chargeId ?? ''), state, 'refund');
}

function isStatus(r: CreateResult | Error | undefined, status: CreateResult['status']): boolean {
  return !!r && !(r instanceof Error) && r.status === status;
}

/** The record as the enqueue script wrote it, without reading it back. */
function newRecord(c: CreateOperation, now: number): StoredOperation {
  const fields: Fields = { ...c.fields, id: c.id, fp: c.fingerprint, lane: c.lane, state: 'queued', created: now, updated: now, store: c.store, device: c.device };
  const strings = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]));
  return storedOperationSchema.parse(strings);
}
