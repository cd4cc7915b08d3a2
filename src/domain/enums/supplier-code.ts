/** 『金流供應商代碼』 (answer field `supplier_code`, string). */
import { strCodeSchema } from './code-table.js';

export const SUPPLIER_CODE_LABELS = {
  A1: '裕富數位資融',
  A2: '三環亞洲',
  B0: '新光銀行',
  B1: '永豐銀行',
  B2: '合作金庫',
  B3: '台北富邦',
  B4: '玉山銀行',
  B5: '台新銀行',
  B6: '聯合信用卡處理中心',
  B7: '台中商銀',
  B8: '中國信託商業銀行',
  B9: '上海商業儲蓄銀行',
  BA: '第一銀行',
  BB: '元大商業銀行',
  BC: '凱基銀行',
  BD: '國泰世華商業銀行',
  S0: '全網行銷股份有限公司(FamiPort)',
  S1: '安源資訊股份有限公司(ibon)',
  S2: '萊爾富國際股份有限公司(Hi-Life)',
  T0: '高鉅科技',
  T1: '藍新金流',
  W0: '統振',
  W1: '遊戲橘子數位',
  W2: '台灣連線(LINEPay)',
  W3: '博經',
  W4: '街口電子支付',
  W5: '悠遊卡',
  W6: '一卡通票證',
  W7: 'iCash',
  W8: '全支付(PXPay plus)',
  W9: '拍付國際資訊(Pi錢包)',
  E0: 'MYTIX',
} as const;
export type SupplierCode = keyof typeof SUPPLIER_CODE_LABELS;
export const SUPPLIER_CODES = Object.keys(SUPPLIER_CODE_LABELS) as [SupplierCode, ...SupplierCode[]];
export const supplierCodeSchema = strCodeSchema(SUPPLIER_CODES, '金流供應商代碼');
