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
  finishtime?: string | null;
  refund_order?: ReadonlyArray<RefundRowLike> | null;
}

export interface RefundRowLike {
  uid?: string | null;
  prc?: string | number | null;
  cost?: string | number | null;
  retmsg?: string | null;
  finishtime?: string | null;
}

export type Outcome =
  /** The operation reached a final answer. */
  | { type: 'final'; state: OperationState; prc: string; uid?: string; key?: string; refundUid?: string; message?: string }
  /** Still in progress (or a prc we do not know: never success, keep asking). */
  | { type: 'pending'; prc: string; unknownPrc: boolean; terminalFree: boolean; uid?: string; key?: string; refundUid?: string; message?: string }
  /** The gateway does not know the order (or, for a refund, has no new refund row for it) yet. */
  | { type: 'not_found'; message?: string }
  /** Only rows that are provably someone else's (an older order under our id, another amount). */
  | { type: 'foreign'; message: string }
  /** More than one row could be ours: a person must choose, we never guess. */
  | { type: 'ambiguous'; message: string; candidates: string[] };

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

/**
 * `finishtime` (YYYYMMDDHHmmss, the gateway's local time in Taiwan, UTC+8 without daylight saving)
 * as epoch ms; undefined when empty or not a time.
 */
export function parseGatewayTime(v: string | null | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(str(v));
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h - 8, mi, se);
}

/** What proves a row ours besides the order id. */
export interface Proof {
  /** Our amount: a row of another amount is not ours. */
  cost: number;
  /** Epoch ms: a row finished before this (our first POST minus the clock tolerance) is not ours. Undefined: not yet sent. */
  notBefore: number | undefined;
}

const tooOld = (finishtime: string | null | undefined, notBefore: number | undefined): boolean => {
  const t = parseGatewayTime(finishtime);
  return t !== undefined && notBefore !== undefined && t < notBefore;
};

/** The rows of `orderId` that carry anything (the 查無資料 row has neither uid nor prc). */
function orderRows(rows: readonly QueryRowLike[], orderId: string): QueryRowLike[] {
  return rows.filter((r) => str(r.order_id) === orderId && (str(r.uid) !== '' || str(r.prc) !== ''));
}

/** Picks the row for `orderId` (rows of other orders are ignored); the first when several. */
export function findOrderRow(rows: readonly QueryRowLike[], orderId: string): QueryRowLike | undefined {
  return orderRows(rows, orderId)[0];
}

/**
 * A charge's answer: the row of our order id that is provably ours — same amount, and not finished
 * before our first POST. An older order under the same id (a reused order id) is `foreign`, never
 * our outcome; two rows that could both be ours are `ambiguous`.
 */
export function interpretChargeQuery(rows: readonly QueryRowLike[], orderId: string, proof: Proof): Outcome {
  const all = orderRows(rows, orderId);
  if (all.length === 0) return { type: 'not_found', message: rows[0]?.retmsg ?? undefined };
  const mine = all.filter((r) => (str(r.cost) === '' || Number(str(r.cost)) === proof.cost) && !tooOld(r.finishtime, proof.notBefore));
  if (mine.length === 0) {
    const r = all[0]!;
    return { type: 'foreign', message: `order ${orderId} at the gateway is not ours: uid ${str(r.uid)}, amount ${str(r.cost)}, finished ${str(r.finishtime) || '-'} (before our first POST or another amount)` };
  }
  if (mine.length > 1) return { type: 'ambiguous', message: `${mine.length} gateway orders could be ours`, candidates: mine.map((r) => str(r.uid)) };
  const row = mine[0]!;
  return fromPrc(str(row.prc), { uid: opt(str(row.uid)), key: opt(row.key ?? undefined), message: opt(row.retmsg ?? undefined) }, false);
}

export interface RefundProof extends Proof {
  /** Refund uids the charge had just before our POST (undefined: no snapshot was taken). */
  seen: ReadonlySet<string> | undefined;
  /** Refund uids other refunds of ours already matched. */
  claimed: ReadonlySet<string>;
}

/**
 * A refund's answer is a `refund_order` row of the charge's order. The gateway gives a refund no id
 * of its own before it answers, so only a row that did not exist before our POST (snapshot), that no
 * other refund of ours claimed, of our amount and not finished before our POST can be ours; two such
 * rows (ours and someone else's, e.g. a portal refund made meanwhile) are ambiguous.
 */
export function interpretRefundQuery(rows: readonly QueryRowLike[], orderId: string, proof: RefundProof): Outcome {
  const refunds = orderRows(rows, orderId).flatMap((r) => r.refund_order ?? []);
  const fresh = refunds.filter((r) => str(r.uid) !== '' && !proof.claimed.has(str(r.uid)) && !(proof.seen?.has(str(r.uid)) ?? false));
  const mine = fresh.filter((r) => Number(str(r.cost)) === proof.cost && !tooOld(r.finishtime, proof.notBefore));
  if (mine.length === 0) return { type: 'not_found', message: findOrderRow(rows, orderId)?.retmsg ?? undefined };
  if (mine.length > 1) return { type: 'ambiguous', message: `${mine.length} new refund rows of NT$${proof.cost} could be ours`, candidates: mine.map((r) => str(r.uid)) };
  const row = mine[0]!;
  return fromPrc(str(row.prc), { refundUid: str(row.uid), message: opt(row.retmsg ?? undefined) }, true);
}

/** The charge as the gateway shows it, before a refund: its refund rows and what is left to refund. */
export interface ChargeSnapshot {
  found: boolean;
  prc: string;
  cost: number;
  refundUids: string[];
  /** Sum of refund rows that are not failed (pending ones included). */
  refunded: number;
  /** What may still be refunded (0 when the charge is not paid). */
  refundable: number;
}

const REFUNDABLE_PRC = new Set(['250', '600']);
const FAILED_REFUND_PRC = new Set(['300', '100', 'A0002']);

export function chargeSnapshot(rows: readonly QueryRowLike[], orderId: string, orderCost: number): ChargeSnapshot {
  const row = orderRows(rows, orderId).find((r) => Number(str(r.cost)) === orderCost);
  if (!row) return { found: false, prc: '', cost: orderCost, refundUids: [], refunded: 0, refundable: 0 };
  const refunds = row.refund_order ?? [];
  const refunded = refunds.filter((r) => !FAILED_REFUND_PRC.has(str(r.prc))).reduce((s, r) => s + (Number(str(r.cost)) || 0), 0);
  const prc = str(row.prc);
  return {
    found: true,
    prc,
    cost: orderCost,
    refundUids: refunds.map((r) => str(r.uid)).filter(Boolean),
    refunded,
    refundable: REFUNDABLE_PRC.has(prc) ? Math.max(0, orderCost - refunded) : 0,
  };
}
