/** 『電子發票列印設備』 (answer field `invoice_print_device`, integer). */
import { intCodeSchema } from './code-table.js';

export const INVOICE_PRINT_DEVICES = [0, 1] as const;
export type InvoicePrintDevice = (typeof INVOICE_PRINT_DEVICES)[number];
export const INVOICE_PRINT_DEVICE_LABELS = {
  0: '自行處理',
  1: 'SUNMI V2 PRO',
} as const satisfies Record<InvoicePrintDevice, string>;
export const invoicePrintDeviceSchema = intCodeSchema(INVOICE_PRINT_DEVICES, '電子發票列印設備');
