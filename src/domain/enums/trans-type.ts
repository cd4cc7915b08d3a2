/** 『交易類型定義』 (field `trans_type`: integer in the callbacks, string in 『交易查詢』). */
import { intCodeSchema } from './code-table.js';

export const TRANS_TYPES = [1, 2, 3] as const;
export type TransType = (typeof TRANS_TYPES)[number];
export const TRANS_TYPE_LABELS = {
  1: '一般 (預設)',
  2: '分期',
  3: '紅利',
} as const satisfies Record<TransType, string>;
export const transTypeSchema = intCodeSchema(TRANS_TYPES, '交易類型定義');
