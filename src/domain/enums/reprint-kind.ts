/** 『發票列印種類』 (field `type` of 『重印發票或補印發票』, integer). */
import { intCodeSchema } from './code-table.js';

export const REPRINT_KINDS = [1, 2] as const;
export type ReprintKind = (typeof REPRINT_KINDS)[number];
export const REPRINT_KIND_LABELS = {
  1: '重印發票(正式發票)',
  2: '補印發票',
} as const satisfies Record<ReprintKind, string>;
export const reprintKindSchema = intCodeSchema(REPRINT_KINDS, '發票列印種類');
