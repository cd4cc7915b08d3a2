/** 『紅利資訊類型』 (field `type` of 『紅利資訊』; the field says string, the value table integer). */
import { intCodeSchema } from './code-table.js';

export const REDEEM_TYPES = [1, 2] as const;
export type RedeemType = (typeof REDEEM_TYPES)[number];
export const REDEEM_TYPE_LABELS = {
  1: '全額',
  2: '部分',
} as const satisfies Record<RedeemType, string>;
export const redeemTypeSchema = intCodeSchema(REDEEM_TYPES, '紅利資訊類型');
