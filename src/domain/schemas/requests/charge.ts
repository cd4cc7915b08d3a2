/**
 * 『銷售系統發動交易』: the `encry_data` of `api/postransaction` (start a charge on a terminal).
 * Field order and wording follow the spec's table.
 */
import { z } from 'zod';
import { actualPayModeSchema } from '../../enums/actual-pay-mode.js';
import { currencySchema } from '../../enums/currency.js';
import { pfnSchema } from '../../enums/pfn.js';
import { userSnTypeSchema } from '../../enums/user-sn-type.js';
import { amountSchema, amountValue, nonNegativeAmountSchema, optionalText, requiredText, storeUidSchema } from './fields.js';
import { checkInvoiceFields, invoiceFieldsShape } from './invoice-fields.js';
import { checkLineTotals, itemsSchema, itemsTotal } from './item.js';

export const chargeRequestShape = {
  /** 特約商店代碼 (必填). */
  store_uid: storeUidSchema,
  /** 設備編號 (必填), e.g. `A01`. */
  device_name: requiredText(),
  /** 訂單總金額 (必填). */
  cost: amountSchema,
  /** 預設交易幣別, default TWD. */
  currency: currencySchema.optional(),
  /** 訂單編號 (必填): our idempotency key. */
  order_id: requiredText(),
  /** 訂單內物品: 每筆『商品項目』. */
  items: itemsSchema.optional(),
  /** 自訂回傳參數 1–5, echoed back in answers and callbacks. */
  echo_0: optionalText(),
  echo_1: optionalText(),
  echo_2: optionalText(),
  echo_3: optionalText(),
  echo_4: optionalText(),
  /** 支付方式 (必填), a name or an 附錄一 code; normalised to the name. */
  pfn: pfnSchema,
  /** 折價金額, default 0. */
  discount: nonNegativeAmountSchema.optional(),
  /** 運費. */
  shipping_fee: nonNegativeAmountSchema.optional(),
  /** 消費者帳號. */
  user_id: optionalText(),
  /** 消費者姓名. */
  user_name: optionalText(),
  /** 消費者真實姓名. */
  user_real_name: optionalText(),
  /** 消費者帳單地址. */
  user_address: optionalText(),
  /** 1 身分證, 2 統一證號, 3 護照號碼. */
  user_sn_type: userSnTypeSchema.optional(),
  /** 付款人身分證/統一證號/護照號碼. */
  user_sn: optionalText(),
  /** 消費者家用電話. */
  user_phone: optionalText(),
  /** 消費者行動電話國碼. */
  user_cellphone_code: optionalText(),
  /** 消費者行動電話. */
  user_cellphone: optionalText(),
  /** 消費者 E-Mail. */
  user_email: z.email({ error: 'must be an e-mail address' }).optional(),
  /** 消費者生日 (format not given by the spec). */
  user_birthday: optionalText(),
  /** 消費者來源 IP, 「會做為驗證用」. */
  ip: z.union([z.ipv4(), z.ipv6()], { error: 'must be an IPv4 or IPv6 address' }).optional(),
  ...invoiceFieldsShape,
  /** 實際支付方式: only with pfn CASH (自行收款), 『自行收款付款方式』. */
  actual_pay_mode: actualPayModeSchema.optional(),
};

/**
 * Unknown keys are refused: a misspelt optional field (say `invoice_mobilecode`) would otherwise be
 * dropped silently and the buyer would not get the invoice they asked for.
 */
export const chargeRequestObject = z.strictObject(chargeRequestShape);

export const chargeRequestSchema = chargeRequestObject.superRefine((value, ctx) => {
  if (value.items) {
    checkLineTotals(value.items, ctx);
    // The spec does not say how discount and shipping_fee relate to cost; we take cost as what the
    // buyer pays: items − discount + shipping_fee. With neither given this is "items add up to cost".
    const items = itemsTotal(value.items);
    const discount = value.discount ? amountValue(value.discount) : 0;
    const shipping = value.shipping_fee ? amountValue(value.shipping_fee) : 0;
    const expected = items - discount + shipping;
    if (expected !== amountValue(value.cost)) {
      const adjustments = `${discount ? ` - discount ${discount}` : ''}${shipping ? ` + shipping_fee ${shipping}` : ''}`;
      const lhs = adjustments ? `items total ${items}${adjustments} = ${expected}` : `items total ${items}`;
      ctx.addIssue({ code: 'custom', path: ['cost'], message: `${lhs} does not equal cost ${value.cost}` });
    }
  }
  checkInvoiceFields(value, ctx);
  if (value.actual_pay_mode !== undefined && value.pfn !== 'CASH') {
    ctx.addIssue({ code: 'custom', path: ['actual_pay_mode'], message: `is only valid when pfn is CASH, got ${value.pfn}` });
  }
});

export type ChargeRequest = z.output<typeof chargeRequestSchema>;
export type ChargeRequestInput = z.input<typeof chargeRequestSchema>;
