/** 『閘道內容回傳格式類型』 (answer field `result_type`, integer). */
import { intCodeSchema } from './code-table.js';

export const RESULT_TYPES = [0, 1, 2, 3, 4, 5, 6] as const;
export type ResultType = (typeof RESULT_TYPES)[number];
export const RESULT_TYPE_LABELS = {
  0: '無法辨識',
  1: '網址',
  2: '超連結本文',
  3: 'xml',
  4: 'json',
  5: 'csv',
  6: '串流',
} as const satisfies Record<ResultType, string>;
export const resultTypeSchema = intCodeSchema(RESULT_TYPES, '閘道內容回傳格式類型');
