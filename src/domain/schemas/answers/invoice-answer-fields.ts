/**
 * The e-invoice fields of 『交易查詢』 and 『交易查詢-退款資訊』 rows, and 『電子發票折讓資訊』.
 * Codes are numbers not restricted to their tables (see lenient.ts).
 */
import { z } from 'zod';
import { looseArray, looseInt, looseJson, looseText, reliedText } from './lenient.js';

/** 『電子發票折讓資訊』: one allowance (partial refund) on the invoice. */
export const invoiceAllowanceSchema = z.looseObject({
  /** 發生之退款交易流水號(UID). */
  uid: reliedText,
  /** 電子發票折讓金額. */
  amount: looseInt,
  /** 電子發票折讓明細 JSON text, 『商品細項』; decode with `decodeInvoiceDetail`. */
  order_detail: looseJson,
});
export type InvoiceAllowance = z.output<typeof invoiceAllowanceSchema>;

/** Invoice fields present in both charge rows and refund rows. */
export const invoiceAnswerFieldsShape = {
  /** 發票開立狀態, 『電子發票開立狀態類型』. */
  invoice_state: looseInt,
  /** 發票開立日期 YYYYMMDD. */
  invoice_date: looseText,
  /** 發票字軌. */
  invoice_wordtrack: looseText,
  /** 發票號碼. */
  invoice_number: looseText,
  /** 電子發票隨機碼. */
  invoice_rand_code: looseText,
  /** 賣方統一編號. */
  invoice_seller_ban: looseText,
  /** 買方統一編號. */
  invoice_buyer_ban: looseText,
  /** 電子發票左邊QrCode內容. */
  invoice_left_qrcode: looseText,
  /** 電子發票中間Barcode內容 (Code-39). */
  invoice_middle_barcode: looseText,
  /** 電子發票右邊QrCode內容. */
  invoice_right_qrcode: looseText,
  /** 電子發票列印標題格式, 『電子發票紙本列印標題類型』. */
  invoice_title_type: looseInt,
  /** 電子發票列印標題內容. */
  invoice_title: looseText,
  /** 電子發票列印類型, 『電子發票列印類型』. */
  invoice_print_type: looseInt,
  /** 電子發票列印設備, 『電子發票列印設備』. */
  invoice_print_device: looseInt,
  /** 電子發票銷售總額. */
  invoice_amount: looseText,
  /** 電子發票銷售額. */
  invoice_sales_amount: looseText,
  /** 電子發票稅額. */
  invoice_tax_amount: looseText,
  /** 電子發票全部產品明細 JSON text, 『商品細項』. */
  invoice_order_detail: looseJson,
  /** 電子發票稅率別, 『電子發票稅率別』. */
  invoice_ratetype: looseInt,
  /** 電子發票開立類型, 『電子發票開立類型』. */
  invoice_input_type: looseInt,
  /** 電子發票折讓資訊. */
  invoice_allowance: looseArray(invoiceAllowanceSchema),
};

/** Buyer-side invoice fields recorded on charge rows only (『交易查詢』). */
export const invoiceBuyerFieldsShape = {
  /** 雲端發票類型, 『雲端發票類型』 (typed string in the row, integer in its table). */
  invoice_cloud_type: looseInt,
  /** 手機條碼 (cloud type 2). */
  invoice_mobile_code: looseText,
  /** 統一編號 (the row table says cloud type 2; the charge table says input type 1). */
  invoice_tax_id: looseText,
  /** 自然人憑證條碼 (cloud type 3). */
  invoice_natural_person: looseText,
  /** 中獎時紙本發票郵遞區號 (cloud type 4). */
  invoice_m_post_zone: looseText,
  /** 中獎時紙本發票收件住址 (cloud type 4). */
  invoice_m_address: looseText,
  /** 愛心碼 (input type 2). */
  invoice_love_code: looseText,
  /** 發票抬頭 (input type 3). */
  invoice_b2b_title: looseText,
  /** 統一編號 (input type 3). */
  invoice_b2b_id: looseText,
  /** 郵遞區號 (input type 3). */
  invoice_b2b_post_zone: looseText,
  /** 發票地址 (input type 3). */
  invoice_b2b_address: looseText,
};
