/**
 * 『交易退款』: the `encry_data` of `api/posrefund`.
 *
 * - `uid` and `key` are not marked 必填 in the table, but a refund names the charge by them (the
 *   charge's 交易流水號 and 交易驗証碼 from its answer), so both are required.
 * - `items`: 「若使用電子發票,此欄位必填 … 退款項目之總金額必須與退款金額一致」. Whether the charge had
 *   an e-invoice is not visible in the request, so we require `items` when `invoice_state` (void or
 *   allowance, meaningful only with an invoice) is given, and whenever items are given they must
 *   add up to `cost`. That refund item names equal the charge's, and that the refund does not
 *   exceed the refundable balance, need the charge and are checked where it is known.
 */
import { z } from 'zod';
import { receiptTypeSchema } from '../../enums/receipt-type.js';
import { refundInvoiceStateSchema } from '../../enums/refund-invoice-state.js';
import { amountSchema, amountValue, requiredText, storeUidSchema } from './fields.js';
import { checkLineTotals, itemsSchema, itemsTotal } from './item.js';

export const refundRequestObject = z.strictObject({
  /** 特約商店商務代號 (必填). */
  store_uid: storeUidSchema,
  /** 交易驗証碼 of the charge. */
  key: requiredText(),
  /** 訂單編號(UID) of the charge. */
  uid: requiredText(),
  /** 退款金額 (必填). */
  cost: amountSchema,
  /** 電子發票: 4 作廢 (default) or 6 折讓; 「跨發票月份無法作廢」. */
  invoice_state: refundInvoiceStateSchema.optional(),
  /** 退款項目: 每筆『商品項目』. */
  items: itemsSchema.optional(),
  /** 設備編號 (必填). */
  device_name: requiredText(),
  /** 簽單列印類型 (信用卡專用). */
  receipt_type: receiptTypeSchema.optional(),
});

export const refundRequestSchema = refundRequestObject.superRefine((value, ctx) => {
  if (value.items) {
    checkLineTotals(value.items, ctx);
    const total = itemsTotal(value.items);
    if (total !== amountValue(value.cost)) {
      ctx.addIssue({ code: 'custom', path: ['cost'], message: `items total ${total} does not equal cost ${value.cost}` });
    }
  } else if (value.invoice_state !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['items'], message: 'are required with invoice_state (「若使用電子發票,此欄位必填」)' });
  }
});

export type RefundRequest = z.output<typeof refundRequestSchema>;
export type RefundRequestInput = z.input<typeof refundRequestSchema>;
