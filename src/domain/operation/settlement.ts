/** How a refund's final state settles its charge's balance (pure; used by the finish script's callers). */
import type { OperationState } from './states.js';

/**
 * How a refund reaching `to` settles its charge's balance. A refund keeps its reservation while the
 * money may still move (`unresolved`, and `not_received` until its late verification); once that
 * verification released it, a late success counts as refunded without a reservation to consume.
 */
export function refundSettlement(op: { kind: string; state: OperationState; reverified?: number }, to: OperationState): 'refunded' | 'released' | 'refunded_late' | undefined {
  // needs_review keeps it too: the money may have moved (ambiguous rows, lost writes); a person settles it.
  if (op.kind !== 'refund' || to === 'unresolved' || to === 'not_received' || to === 'needs_review') return undefined;
  const released = op.state === 'not_received' && op.reverified !== undefined;
  if (to === 'refunded') return released ? 'refunded_late' : 'refunded';
  return released ? undefined : 'released';
}
