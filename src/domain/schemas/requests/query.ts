/** 『訂單查詢』: the `encry_data` of `api/querydirect` (look an order up by `order_id`). */
import { z } from 'zod';
import { amountSchema, optionalText, requiredText, storeUidSchema } from './fields.js';

export const queryRequestSchema = z.strictObject({
  /** 特約商店編號 (必填). */
  store_uid: storeUidSchema,
  /** 訂單編號 (必填). */
  order_id: requiredText(),
  /** 訂單總金額 (必填): the charge's cost. */
  cost: amountSchema,
  /** 消費者帳號. */
  user_id: optionalText(),
});

export type QueryRequest = z.output<typeof queryRequestSchema>;
export type QueryRequestInput = z.input<typeof queryRequestSchema>;
