/**
 * Reads a `querydirect` answer for one of our operations and says what it means, through the
 * domain prc table (spec 附錄二). Pure.
 */
import { classifyPrc } from '../prc.js';
import type { OperationState } from './states.js';

/** The fields of a query row we rely on (the full row schema lives in domain/schemas). */
export interface QueryRowLike {
  uid?: string | null;
  key?: string | null;
  prc?: string | number | null;
  order_id?: string | number | null;
  cost?: string | number | null;
  retmsg?: string | null;
  refund_order?: ReadonlyArray<{ uid?: string | null; prc?: string | number | null; cost?: string | number | null; retmsg?: string | null }> | null;
}

export type Outcome =
  /** The operation reached a final answer. */
  | { type: 'final'; state: OperationState; prc: string; uid?: string; key?: string; refundUid?: string; message?: string }
  /** Still in progress (or a prc we do not know: never success, keep asking). */
  | { type: 'pending'; prc: string; unknownPrc: boolean; terminalFree: boolean; uid?: string; key?: string; message?: string }
  /** The gateway does not know the order (or, for a refund, has no refund row for it) yet. */
  | { type: 'not_found'; message?: string };

/**
 * prc values after which the terminal's part is done although the order is not final:
 * 280 (waiting for the customer to pay online) and A0001 (gateway waiting for the bank).
 */
const TERMINAL_DONE_PRC = new Set(['280', 'A0001']);

const FAILURE_STATE: Record<string, OperationState> = { '300': 'declined', A0002: 'abandoned', '100': 'data_error' };

const str = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : String(v).trim());
const opt = (v: string | null | undefined): string | undefined => (v ? v : undefined);

function fromPrc(prc: string, extra: { uid?: string; key?: string; refundUid?: string; message?: string }, forRefund: boolean): Outcome {
  const cls = classifyPrc(prc);
  switch (cls) {
    case 'success':
      return forRefund ? { type: 'pending', prc, unknownPrc: true, terminalFree: false, ...extra } : { type: 'final', state: 'paid', prc, ...extra };
    case 'refunded':
      return { type: 'final', state: 'refunded', prc, ...extra };
    case 'cancelled':
      return { type: 'final', state: 'cancelled', prc, ...extra };
    case 'review':
      return { type: 'final', state: 'needs_review', prc, ...extra };
    case 'failure':
      return { type: 'final', state: FAILURE_STATE[prc] ?? 'declined', prc, ...extra };
    case 'pending':
      return { type: 'pending', prc, unknownPrc: false, terminalFree: TERMINAL_DONE_PRC.has(prc), ...extra };
    default:
      return { type: 'pending', prc, unknownPrc: true, terminalFree: false, ...extra };
  }
}

/** Picks the row for `orderId` (rows of other orders are ignored). */
export function findOrderRow(rows: readonly QueryRowLike[], orderId: string): QueryRowLike | undefined {
  return rows.find((r) => str(r.order_id) === orderId && (str(r.uid) !== '' || str(r.prc) !== ''));
}

export function interpretChargeQuery(rows: readonly QueryRowLike[], orderId: string): Outcome {
  const row = findOrderRow(rows, orderId);
  if (!row) return { type: 'not_found', message: rows[0]?.retmsg ?? undefined };
  const prc = str(row.prc);
  return fromPrc(prc, { uid: opt(str(row.uid)), key: opt(row.key ?? undefined), message: opt(row.retmsg ?? undefined) }, false);
}

/**
 * A refund's answer is a `refund_order` row of the charge's order. The gateway gives our refund no
 * id of its own before it answers, so a refund claims the first row of the same amount that no
 * other refund of ours has claimed (`claimedRefundUids`), in the gateway's order.
 */
export function interpretRefundQuery(rows: readonly QueryRowLike[], orderId: string, cost: number, claimedRefundUids: ReadonlySet<string>): Outcome {
  const row = findOrderRow(rows, orderId);
  const refunds = row?.refund_order ?? [];
  const mine = refunds.find((r) => str(r.uid) !== '' && !claimedRefundUids.has(str(r.uid)) && Number(str(r.cost)) === cost);
  if (!mine) return { type: 'not_found', message: row?.retmsg ?? undefined };
  return fromPrc(str(mine.prc), { refundUid: str(mine.uid), message: opt(mine.retmsg ?? undefined) }, true);
}
