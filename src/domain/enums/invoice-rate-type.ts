/** 『電子發票稅率別』 (charge and answer field `invoice_ratetype`, integer). */
import { intCodeSchema } from './code-table.js';

export const INVOICE_RATE_TYPES = [1, 2, 3] as const;
export type InvoiceRateType = (typeof INVOICE_RATE_TYPES)[number];
export const INVOICE_RATE_TYPE_LABELS = {
  1: '應稅(預設)',
  2: '零稅率',
  3: '免稅',
} as const satisfies Record<InvoiceRateType, string>;
export const invoiceRateTypeSchema = intCodeSchema(INVOICE_RATE_TYPES, '電子發票稅率別');
