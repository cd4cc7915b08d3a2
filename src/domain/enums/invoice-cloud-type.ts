/**
 * 『雲端發票類型』 (field `invoice_cloud_type`, valid only with `invoice_input_type` 1). Its value
 * table says integer, the charge table string; we normalise to the integer.
 */
import { intCodeSchema } from './code-table.js';

export const INVOICE_CLOUD_TYPES = [2, 3, 4] as const;
export type InvoiceCloudType = (typeof INVOICE_CLOUD_TYPES)[number];
export const INVOICE_CLOUD_TYPE_LABELS = {
  2: '手機條碼',
  3: '自然人憑證條碼',
  4: '以E-Mail寄送',
} as const satisfies Record<InvoiceCloudType, string>;
export const invoiceCloudTypeSchema = intCodeSchema(INVOICE_CLOUD_TYPES, '雲端發票類型');
