/**
 * Field `refund_type` of 『退款完成回傳資訊』 (string), listed inline:
 * 「退款類型(1.直接線上退款 2.手動退款(信用卡類) 3.手動退款(現金類)」.
 */
import { strCodeSchema } from './code-table.js';

export const REFUND_TYPES = ['1', '2', '3'] as const;
export type RefundType = (typeof REFUND_TYPES)[number];
export const REFUND_TYPE_LABELS = {
  '1': '直接線上退款',
  '2': '手動退款(信用卡類)',
  '3': '手動退款(現金類)',
} as const satisfies Record<RefundType, string>;
export const refundTypeSchema = strCodeSchema(REFUND_TYPES, '退款類型');
