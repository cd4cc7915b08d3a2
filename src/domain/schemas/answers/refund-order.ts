/** 『交易查詢-退款資訊』 (`refund_order` rows) and 『交易查詢-取消資訊』 (`cancel_order` rows). */
import { z } from 'zod';
import { invoiceAnswerFieldsShape } from './invoice-answer-fields.js';
import { looseText, reliedText } from './lenient.js';

const movementFields = {
  /** 交易流水號 of this refund / cancellation. */
  uid: reliedText,
  /** 主要交易回傳碼: 230 退款成功, 220 取消成功, … (附錄二). */
  prc: reliedText,
  /** 總交易金額 (the refunded / cancelled amount). */
  cost: reliedText,
  /** 原交易幣別. */
  currency: looseText,
  /** 實際交易金額. */
  actual_cost: looseText,
  /** 實際交易幣別. */
  actual_currency: looseText,
  /** 回傳訊息. */
  retmsg: looseText,
  /** 交易完成時間 YYYYMMDDHHmmss. */
  finishtime: looseText,
};

/** 『交易查詢-退款資訊』: one refund of the order, with its invoice void/allowance details. */
export const refundOrderRowSchema = z.looseObject({
  ...movementFields,
  /** 預計撥款日期 YYYYMMDD. */
  appropriation_date: looseText,
  ...invoiceAnswerFieldsShape,
});
export type RefundOrderRow = z.output<typeof refundOrderRowSchema>;

/** 『交易查詢-取消資訊』: one cancellation of the order. */
export const cancelOrderRowSchema = z.looseObject(movementFields);
export type CancelOrderRow = z.output<typeof cancelOrderRowSchema>;
