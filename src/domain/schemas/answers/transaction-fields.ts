/**
 * The transaction fields shared by 『交易查詢』 rows and the callbacks 『交易完成回傳資訊』,
 * 『非即時交易回傳資訊』 and 『訂單確認回傳資訊』 (the three callbacks list the same fields).
 * Codes are kept as numbers/text, not restricted to their value tables (see lenient.ts); the
 * comments name the table that describes them.
 */
import { looseInt, looseJson, looseText, reliedText } from './lenient.js';

export const transactionFieldsShape = {
  /** Payment Hub 之交易流水號: needed for refunds and reprints. */
  uid: reliedText,
  /** 交易驗証碼: needed for refunds and reprints. A secret: redact where shown. */
  key: reliedText,
  /** 主要交易回傳碼 (附錄二); see `classifyPrc`. */
  prc: reliedText,
  /** 交易完成時間 YYYYMMDDHHmmss. */
  finishtime: looseText,
  /** 銀行端口回傳碼. */
  cardno: looseText,
  /** 授權碼. */
  acode: looseText,
  /** 信用卡卡別, 『信用卡別類型』. */
  card_type: looseText,
  /** 發卡行. */
  issuing_bank: looseText,
  /** 發卡銀行代碼. */
  issuing_bank_uid: looseText,
  /** 交易服務類型, 『交易服務類型』. */
  transaction_mode: looseInt,
  /** 交易之金融服務商. */
  supplier_name: looseText,
  /** 交易之金融服務商代碼, 『金流供應商代碼』. */
  supplier_code: looseText,
  /** 貴特店系統的訂單編號. */
  order_id: reliedText,
  /** 消費者帳號. */
  user_id: looseText,
  /** 總交易金額. */
  cost: reliedText,
  /** 原交易幣別. */
  currency: looseText,
  /** 實際交易金額. */
  actual_cost: looseText,
  /** 實際交易幣別. */
  actual_currency: looseText,
  /** 請求交易點數/金額. */
  price: looseText,
  /** 實際交易點數/金額. */
  actual_price: looseText,
  /** 交易產品代碼. */
  recharge_code: looseText,
  /** 愛心捐款金額. */
  love_cost: looseText,
  /** 回傳訊息 (e.g. 查無資料). */
  retmsg: looseText,
  /** 付費方法 (any name the gateway uses, not only the ones a charge may send). */
  pfn: looseText,
  /** 交易類型, 『交易類型定義』 (integer in callbacks, string in query rows). */
  trans_type: looseInt,
  /** 紅利資訊 JSON text, 『紅利資訊』; decode with `decodeRedeem`. */
  redeem: looseJson,
  /** 定期定額式/定期分期式扣款名稱. */
  payment_name: looseText,
  /** 定期定額式/定期分期式扣繳期數. */
  nois: looseText,
  /** 定期定額式 / 定期分期式扣款編號. */
  group_id: looseText,
  /** (虛擬帳號)銀行代碼. */
  bank_id: looseText,
  /** 有效日期 YYYYMMDDHHmmss. */
  expired_date: looseText,
  /** 資料格式類型, 『閘道內容回傳格式類型』. */
  result_type: looseInt,
  /** 資料內容所屬支付名稱, 『資料內容所屬支付名稱』. */
  result_content_type: looseText,
  /** 虛擬帳號、超商代碼資料內容; decode with `decodeResultContent`. */
  result_content: looseJson,
  /** 自訂回傳參數 1–5, as sent with the charge. */
  echo_0: looseText,
  echo_1: looseText,
  echo_2: looseText,
  echo_3: looseText,
  echo_4: looseText,
};
