/**
 * Charge field `user_sn_type` (string), listed inline in 『銷售系統發動交易』:
 * 「1:身分證,2:統一證號,3:護照號碼 付款人為本國人為1,外國人2 or 3」.
 */
import { strCodeSchema } from './code-table.js';

export const USER_SN_TYPES = ['1', '2', '3'] as const;
export type UserSnType = (typeof USER_SN_TYPES)[number];
export const USER_SN_TYPE_LABELS = {
  '1': '身分證',
  '2': '統一證號',
  '3': '護照號碼',
} as const satisfies Record<UserSnType, string>;
export const userSnTypeSchema = strCodeSchema(USER_SN_TYPES, '付款人證號類型');
