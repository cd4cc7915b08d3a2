/** 『電子發票紙本列印標題類型』 (answer field `invoice_title_type`, integer). */
import { intCodeSchema } from './code-table.js';

export const INVOICE_TITLE_TYPES = [1, 2] as const;
export type InvoiceTitleType = (typeof INVOICE_TITLE_TYPES)[number];
export const INVOICE_TITLE_TYPE_LABELS = {
  1: '文字',
  2: '圖形(圖片網址)',
} as const satisfies Record<InvoiceTitleType, string>;
export const invoiceTitleTypeSchema = intCodeSchema(INVOICE_TITLE_TYPES, '電子發票紙本列印標題類型');
