/** 『電子發票開立狀態類型』 (answer field `invoice_state` of 『交易查詢』 rows, integer). */
import { intCodeSchema } from './code-table.js';

export const INVOICE_STATES = [0, 1, 2, 3, 4, 5, 6] as const;
export type InvoiceState = (typeof INVOICE_STATES)[number];
export const INVOICE_STATE_LABELS = {
  0: '不處理(預設)',
  1: '等候處理中',
  2: '發票開立成功',
  3: '發票處理失敗',
  4: '作癈',
  5: '系統或特約商店發票號碼設定不正確',
  6: '折讓',
} as const satisfies Record<InvoiceState, string>;
export const invoiceStateSchema = intCodeSchema(INVOICE_STATES, '電子發票開立狀態類型');
