/**
 * 『銷售系統對設備發動簽單列印類型』 (field `receipt_type` of 『交易退款』 and 『補印簽單』, string).
 * 1 is the default.
 */
import { strCodeSchema } from './code-table.js';

export const RECEIPT_TYPES = ['1', '2'] as const;
export type ReceiptType = (typeof RECEIPT_TYPES)[number];
export const RECEIPT_TYPE_LABELS = {
  '1': '列印全部(商店存根&持卡人存根)(預設)',
  '2': '只印持卡人存根',
} as const satisfies Record<ReceiptType, string>;
export const receiptTypeSchema = strCodeSchema(RECEIPT_TYPES, '銷售系統對設備發動簽單列印類型');
