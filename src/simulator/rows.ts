/** querydirect rows in the spec's 『交易查詢』 shape (all values as the spec's sample types them). */
import { twDate, twTimestamp } from './clock.js';
import type { Order, Refund } from './ledger.js';
import { MSG, retmsgFor } from './messages.js';

type Row = Record<string, unknown>;

/** The spec's own 查無資料 row (訂單查詢 sample answer), echoing the query's order_id, user_id and cost. */
export function notFoundRow(query: { order_id: string; user_id?: string; cost: string }): Row {
  return {
    uid: '', key: '', prc: '', finishtime: '', cardno: '', acode: '',
    order_id: query.order_id, user_id: query.user_id ?? '', cost: query.cost,
    currency: '', actual_cost: '', actual_currency: '',
    price: null, actual_price: null, recharge_code: null, love_cost: '0',
    retmsg: MSG.notFound, pfn: '', trans_type: '1', payment_name: '', nois: '', group_id: '',
    echo_0: '', echo_1: '', echo_2: '', echo_3: '', echo_4: '',
  };
}

const PAID_LIKE = new Set(['250', '600', '290', '230']);

/**
 * 『交易查詢-退款資訊』: one refund, listed from the moment the gateway accepted it — prc `200`
 * (資料正確) with an empty finishtime while the terminal works on it, then `230` (退款成功).
 */
function refundRow(r: Refund): Row {
  const cost = String(r.cost);
  return {
    uid: r.uid, prc: r.prc, cost, currency: 'TWD', actual_cost: cost, actual_currency: 'TWD',
    retmsg: retmsgFor(r.prc), finishtime: r.finishedAt ? twTimestamp(r.finishedAt) : '',
    appropriation_date: '', invoice_state: 0,
  };
}

export function orderRow(o: Order): Row {
  const paid = PAID_LIKE.has(o.prc);
  const card = paid && o.pfn === 'CREDITCARD';
  const cost = String(o.cost);
  return {
    uid: o.uid,
    key: o.key,
    prc: o.prc,
    finishtime: o.finishedAt ? twTimestamp(o.finishedAt) : '',
    cardno: card ? `431195******${o.uid.slice(-4).padStart(4, '0')}` : '',
    acode: card ? o.uid.slice(-6).padStart(6, '0') : '',
    card_type: card ? '1' : '0',
    issuing_bank: card ? '模擬銀行' : '',
    issuing_bank_uid: card ? '999' : '',
    transaction_mode: paid ? 2 : 0,
    supplier_name: paid ? '模擬金流' : '',
    supplier_code: paid ? 'B8' : '',
    order_id: o.order_id,
    user_id: o.user_id,
    cost,
    currency: o.currency,
    actual_cost: paid ? cost : '',
    actual_currency: paid ? o.currency : '',
    price: null,
    actual_price: null,
    recharge_code: null,
    love_cost: '0',
    retmsg: retmsgFor(o.prc),
    pfn: o.pfn,
    trans_type: '1',
    redeem: '',
    payment_name: '',
    nois: '',
    group_id: '',
    bank_id: '',
    expired_date: '',
    appropriation_date: paid && o.finishedAt ? twDate(o.finishedAt + 3 * 86_400_000) : '',
    result_type: 0,
    result_content_type: '',
    result_content: '',
    refund_order: o.refunds.map(refundRow),
    cancel_order: [],
    invoice_state: 0,
    echo_0: o.echo[0],
    echo_1: o.echo[1],
    echo_2: o.echo[2],
    echo_3: o.echo[3],
    echo_4: o.echo[4],
  };
}
