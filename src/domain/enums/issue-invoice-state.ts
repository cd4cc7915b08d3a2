/**
 * Charge field `issue_invoice_state` (integer), whose values are listed inline in 『銷售系統發動交易』:
 * 「電子發票是否開立0.不開立 1.開立 2.依系統設定(預設)」.
 */
import { intCodeSchema } from './code-table.js';

export const ISSUE_INVOICE_STATES = [0, 1, 2] as const;
export type IssueInvoiceState = (typeof ISSUE_INVOICE_STATES)[number];
export const ISSUE_INVOICE_STATE_LABELS = {
  0: '不開立',
  1: '開立',
  2: '依系統設定(預設)',
} as const satisfies Record<IssueInvoiceState, string>;
export const issueInvoiceStateSchema = intCodeSchema(ISSUE_INVOICE_STATES, '電子發票是否開立');
