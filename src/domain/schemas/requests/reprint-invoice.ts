/**
 * 『重印發票或補印發票』: the `encry_data` of `api/posreprintinvoice`. `uid` and `key` are not marked
 * 必填, but they are the only way to name the invoice's order, so both are required.
 */
import { z } from 'zod';
import { invoicePrintTypeSchema } from '../../enums/invoice-print-type.js';
import { reprintKindSchema } from '../../enums/reprint-kind.js';
import { requiredText, storeUidSchema } from './fields.js';

export const reprintInvoiceRequestSchema = z.strictObject({
  /** 特約商店編號 (必填). */
  store_uid: storeUidSchema,
  /** 設備編號 (必填). */
  device_name: requiredText(),
  /** 訂單UID. */
  uid: requiredText(),
  /** 查詢驗證碼. */
  key: requiredText(),
  /** 1 重印發票(正式發票), 2 補印發票. */
  type: reprintKindSchema.optional(),
  /** 『電子發票列印類型』, default 2 (只印電子發票). */
  print_type: invoicePrintTypeSchema.optional(),
});

export type ReprintInvoiceRequest = z.output<typeof reprintInvoiceRequestSchema>;
export type ReprintInvoiceRequestInput = z.input<typeof reprintInvoiceRequestSchema>;
