/**
 * 『電子發票開立類型』 (field `invoice_input_type`). Its value table says integer, the charge table
 * says string; we normalise to the value table's integer (see code-table.ts).
 */
import { intCodeSchema } from './code-table.js';

export const INVOICE_INPUT_TYPES = [1, 2, 3] as const;
export type InvoiceInputType = (typeof INVOICE_INPUT_TYPES)[number];
export const INVOICE_INPUT_TYPE_LABELS = {
  1: '雲端發票',
  2: '發票捐贈',
  3: '實體發票',
} as const satisfies Record<InvoiceInputType, string>;
export const invoiceInputTypeSchema = intCodeSchema(INVOICE_INPUT_TYPES, '電子發票開立類型');
