/**
 * The reports (回報) the gateway sends to the merchant: 『交易完成回傳資訊』,
 * 『非即時交易回傳資訊』 and 『訂單確認回傳資訊』 (the same fields; they differ in when they are sent),
 * and 『退款完成回傳資訊』. Lenient like every answer: unknown fields are kept.
 */
import { z } from 'zod';
import { looseText, reliedText } from './lenient.js';
import { transactionFieldsShape } from './transaction-fields.js';

/** 『交易完成回傳資訊』: a charge reached its result. */
export const transactionCompleteCallbackSchema = z.looseObject(transactionFieldsShape);
/** 『非即時交易回傳資訊』: the later result of a non-real-time payment (ATM, store code, …). */
export const deferredTransactionCallbackSchema = z.looseObject(transactionFieldsShape);
/** 『訂單確認回傳資訊』: the gateway confirms an order's state (e.g. after A0001). */
export const orderConfirmCallbackSchema = z.looseObject(transactionFieldsShape);

export type TransactionCallback = z.output<typeof transactionCompleteCallbackSchema>;
export type TransactionCallbackInput = z.input<typeof transactionCompleteCallbackSchema>;

/** 『退款完成回傳資訊』. */
export const refundCompleteCallbackSchema = z.looseObject({
  /** 原 MYPAY LINK 之交易流水號 (the charge). */
  uid: reliedText,
  /** 退款之交易流水號 (different for each refund of the order). */
  refund_uid: reliedText,
  /** 交易驗証碼. */
  key: reliedText,
  /** 主要交易回傳碼 (附錄二). */
  prc: reliedText,
  /** 退款處理完成時間 YYYYMMDDHHmmss. */
  finishtime: looseText,
  /** 貴特店系統的訂單編號. */
  order_id: reliedText,
  /** 消費者帳號. */
  user_id: looseText,
  /** 申請之退款金額. */
  cost: reliedText,
  /** 申請之退款幣別. */
  currency: looseText,
  /** 實際退款金額. */
  actual_cost: looseText,
  /** 實際退款幣別. */
  actual_currency: looseText,
  /** 回傳訊息. */
  retmsg: looseText,
  /** 付費方法. */
  pfn: looseText,
  /** 定期定額式/定期分期式扣款名稱. */
  payment_name: looseText,
  /** 定期定額式/定期分期式扣繳期數. */
  nois: looseText,
  /** 定期定額式 / 定期分期式扣款編號. */
  group_id: looseText,
  /** 退款類型: 1 直接線上退款, 2 手動退款(信用卡類), 3 手動退款(現金類); see REFUND_TYPE_LABELS. */
  refund_type: looseText,
  /** 現金退款預計退款日 YYYYMMDD. */
  expected_refund_date: looseText,
  echo_0: looseText,
  echo_1: looseText,
  echo_2: looseText,
  echo_3: looseText,
  echo_4: looseText,
});
export type RefundCallback = z.output<typeof refundCompleteCallbackSchema>;
export type RefundCallbackInput = z.input<typeof refundCompleteCallbackSchema>;
