/** The one path every producer takes into Redis: create the record (idempotently), then its job. */
import type { Core } from '../queues/core.js';
import type { CreateOperation } from '../store/operations.js';
import { toRecord, type OperationRecord, type StoredOperation } from '../store/record.js';
import { IdempotencyConflictError, RefundBalanceError, fieldError } from './errors.js';

export interface EnqueueResult {
  /** `false` when the key already named this operation (an idempotent replay). */
  created: boolean;
  operation: OperationRecord;
}

export async function enqueueOperation(core: Core, create: CreateOperation, keyField: string): Promise<EnqueueResult> {
  const now = core.now();
  const res = await core.store.create(create, now, now + core.settings.leaseMs);
  switch (res.status) {
    case 'conflict':
      throw new IdempotencyConflictError(keyField, create.id, res.state);
    case 'over_refund':
      throw new RefundBalanceError(res.refundable, create.reserveOn?.amount ?? 0);
    case 'charge_not_refundable':
      throw fieldError('order_id', `the charge is ${res.state}, only paid charges can be refunded`);
    default:
      break;
  }
  const op = (await core.store.get(create.id)) as StoredOperation;
  if (res.status === 'created') {
    await core.park(op, res.dispatched);
  } else if (op.state === 'queued') {
    // Replay of an enqueue whose first run may have died between the record and the job.
    const holds = (await core.store.leaseHolder(op.store, op.device)) === op.id;
    await core.park(op, holds);
  }
  return { created: res.status === 'created', operation: toRecord(op) };
}
