/**
 * 『電子發票退款時使用作廢或折讓』 (field `invoice_state` of 『交易退款』, string; the spec's own
 * sample sends the number 6). 4 is the gateway's default. 「注意:跨發票月份無法作廢」: a void (4)
 * is refused once the invoice's month has passed; an allowance (6) is then the only choice.
 */
import { strCodeSchema } from './code-table.js';

export const REFUND_INVOICE_STATES = ['4', '6'] as const;
export type RefundInvoiceState = (typeof REFUND_INVOICE_STATES)[number];
export const REFUND_INVOICE_STATE_LABELS = {
  '4': '作廢或作廢重開(預設)',
  '6': '折讓',
} as const satisfies Record<RefundInvoiceState, string>;
export const DEFAULT_REFUND_INVOICE_STATE: RefundInvoiceState = '4';
export const refundInvoiceStateSchema = strCodeSchema(REFUND_INVOICE_STATES, '電子發票退款時使用作廢或折讓');
