/**
 * The answer of `api/querydirect`: `{code, msg, rows}` with one 『交易查詢』 row per matching order
 * (「交易成功可能含多筆退款或取消以及發票等相關資訊」). An unknown order is answered B200 with a row
 * whose fields are empty and whose retmsg is 「查無資料」 — see {@link isNotFoundRow}.
 */
import { z } from 'zod';
import { answerCodeSchema } from '../../enums/answer-code.js';
import { invoiceAnswerFieldsShape, invoiceBuyerFieldsShape } from './invoice-answer-fields.js';
import { looseArray, looseText } from './lenient.js';
import { cancelOrderRowSchema, refundOrderRowSchema } from './refund-order.js';
import { transactionFieldsShape } from './transaction-fields.js';

/** 『交易查詢』. */
export const queryRowSchema = z.looseObject({
  ...transactionFieldsShape,
  /** 預計撥款日期 YYYYMMDD. */
  appropriation_date: looseText,
  /** 退款訂單資訊, each 『交易查詢-退款資訊』. */
  refund_order: looseArray(refundOrderRowSchema),
  /** 取消訂單資訊, each 『交易查詢-取消資訊』. */
  cancel_order: looseArray(cancelOrderRowSchema),
  ...invoiceAnswerFieldsShape,
  ...invoiceBuyerFieldsShape,
});
export type QueryRow = z.output<typeof queryRowSchema>;
export type QueryRowInput = z.input<typeof queryRowSchema>;

export const queryAnswerSchema = z.looseObject({
  code: answerCodeSchema,
  msg: looseText.transform((v) => v ?? ''),
  rows: looseArray(queryRowSchema),
});
export type QueryAnswer = z.output<typeof queryAnswerSchema>;
export type QueryAnswerInput = z.input<typeof queryAnswerSchema>;

/** The spec's message for an order the gateway does not know. */
export const NOT_FOUND_RETMSG = '查無資料';

/**
 * Whether a row says the gateway does not know the order: no uid and no prc. The 查無資料 retmsg is
 * not required (a message may change), but a row with a uid or a prc is never "not found".
 */
export function isNotFoundRow(row: Pick<QueryRow, 'uid' | 'prc'>): boolean {
  return row.uid === '' && row.prc === '';
}
