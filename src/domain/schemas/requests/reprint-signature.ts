/** 『補印簽單』: the `encry_data` of `api/posreprintsignature` (reprint a card slip). */
import { z } from 'zod';
import { receiptTypeSchema } from '../../enums/receipt-type.js';
import { requiredText, storeUidSchema } from './fields.js';

export const reprintSignatureRequestSchema = z.strictObject({
  /** 特約商店商務代號 (必填). */
  store_uid: storeUidSchema,
  /** 設備編號 (必填). */
  device_name: requiredText(),
  /** 訂單UID (必填). */
  uid: requiredText(),
  /** 查詢驗證碼 (必填). */
  key: requiredText(),
  /** 1 商店存根 & 持卡人存根 (default), 2 只印持卡人存根. */
  receipt_type: receiptTypeSchema.optional(),
});

export type ReprintSignatureRequest = z.output<typeof reprintSignatureRequestSchema>;
export type ReprintSignatureRequestInput = z.input<typeof reprintSignatureRequestSchema>;
