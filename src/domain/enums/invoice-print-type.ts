/**
 * 『電子發票列印類型』 (integer): charge `invoice_print_type`, reprint `print_type`, answer
 * `invoice_print_type`. The request tables say the default is 2 (「預設只印電子發票」).
 */
import { intCodeSchema } from './code-table.js';

export const INVOICE_PRINT_TYPES = [0, 1, 2, 3] as const;
export type InvoicePrintType = (typeof INVOICE_PRINT_TYPES)[number];
export const INVOICE_PRINT_TYPE_LABELS = {
  0: '不列印 自行處置',
  1: '列印 電子發票 + 商品明細',
  2: '只印電子發票',
  3: '只印商品明細',
} as const satisfies Record<InvoicePrintType, string>;
export const DEFAULT_INVOICE_PRINT_TYPE: InvoicePrintType = 2;
export const invoicePrintTypeSchema = intCodeSchema(INVOICE_PRINT_TYPES, '電子發票列印類型');
