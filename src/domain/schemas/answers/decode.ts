/**
 * Decoders for the answer fields the spec types as 「JSON 格式」 text. Pure and total: a field that is
 * absent, not JSON or not of the expected shape gives `undefined`, never an exception, because an
 * unreadable detail must not make a payment's outcome unreadable.
 */
import { z } from 'zod';
import { invoiceDetailLineSchema, RESULT_CONTENT_SCHEMAS, redeemSchema, type InvoiceDetailLine, type Redeem } from './payment-content.js';

/** Parses JSON text; a value that is already decoded is returned as is. */
export function decodeJsonText(value: unknown): unknown {
  if (typeof value !== 'string') return value ?? undefined;
  const text = value.trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function decodeWith<T extends z.ZodType>(schema: T, value: unknown): z.output<T> | undefined {
  const result = schema.safeParse(decodeJsonText(value));
  return result.success ? result.data : undefined;
}

/** `redeem` → 『紅利資訊』. */
export function decodeRedeem(value: unknown): Redeem | undefined {
  return decodeWith(redeemSchema, value);
}

/** `invoice_order_detail` or allowance `order_detail` → 『商品細項』 lines. */
export function decodeInvoiceDetail(value: unknown): InvoiceDetailLine[] | undefined {
  return decodeWith(z.array(invoiceDetailLineSchema), value);
}

export type ResultContentKind = keyof typeof RESULT_CONTENT_SCHEMAS;
export type ResultContent = {
  [K in ResultContentKind]: { kind: K; content: z.output<(typeof RESULT_CONTENT_SCHEMAS)[K]> };
}[ResultContentKind];

/**
 * `result_content` → the payment instructions of a virtual account or convenience-store code,
 * chosen by `result_content_type`; `undefined` for other payment kinds or unreadable content.
 */
export function decodeResultContent(row: { result_content_type?: string | undefined; result_content?: unknown }): ResultContent | undefined {
  const kind = row.result_content_type?.trim().toUpperCase();
  if (!kind || !Object.prototype.hasOwnProperty.call(RESULT_CONTENT_SCHEMAS, kind)) return undefined;
  const k = kind as ResultContentKind;
  const content = decodeWith(RESULT_CONTENT_SCHEMAS[k], row.result_content);
  return content === undefined ? undefined : ({ kind: k, content } as ResultContent);
}
