/** What the API shows of an operation and of a payment (a charge with its refunds, reprints and audit trail). */
import type { Core } from '../../queues/core.js';
import type { AuditEntry } from '../../store/operations.js';
import { operationId } from '../../store/keys.js';
import { publicRecord, type OperationRecord, type StoredOperation } from '../../store/record.js';
import { redactSecrets } from '../../domain/redact.js';
import { relatedOperations } from './related.js';

export interface OperationView extends OperationRecord {
  audit: AuditEntry[];
}

export interface PaymentView extends OperationView {
  refunds: OperationRecord[];
  reprints: OperationRecord[];
}

async function audit(core: Core, opId: string): Promise<AuditEntry[]> {
  return (await core.store.auditTrail(opId)).map((e) => ({ ...e, data: redactSecrets(e.data) }));
}

/** The record (secrets redacted, see toRecord) with its audit trail. */
export function operationView(core: Core, op: StoredOperation): Promise<OperationView> {
  return audit(core, op.id).then((trail) => ({ ...shown(op), audit: trail }));
}

export async function paymentView(core: Core, storeUid: string, orderId: string): Promise<PaymentView | null> {
  const charge = await core.store.get(operationId('charge', storeUid, orderId));
  if (!charge) return null;
  const [related, trail] = await Promise.all([relatedOperations(core, charge), audit(core, charge.id)]);
  return {
    ...shown(charge),
    refunds: related.filter((o) => o.kind === 'refund').map(shown),
    reprints: related.filter((o) => o.kind !== 'refund').map(shown),
    audit: trail,
  };
}

/** toRecord already masks the charge key; the request payload gets the deep pass too. */
export const shown = publicRecord;
