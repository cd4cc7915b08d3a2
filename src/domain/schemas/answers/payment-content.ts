/**
 * The nested value tables carried as JSON text in answers: 『紅利資訊』 (`redeem`) and the
 * `result_content` shapes: 『虛擬帳號回傳欄位』, 『ibon』, 『FamiPort』, 『Life-ET』, 『超商條碼繳費』.
 * Lenient like every answer schema.
 */
import { z } from 'zod';
import { looseInt, looseText } from './lenient.js';

/** 『紅利資訊』. */
export const redeemSchema = z.looseObject({
  /** 『紅利資訊類型』: 1 全額, 2 部分. */
  type: looseInt,
  /** 紅利折抵點數. */
  used: looseText,
  /** 自付金額. */
  amount: looseText,
});
export type Redeem = z.output<typeof redeemSchema>;

/** 『虛擬帳號回傳欄位』. */
export const virtualAccountSchema = z.looseObject({
  /** 虛擬帳號. */
  PinCode: looseText,
  /** 繳費有效期限 YYYYMMDDHHmmss. */
  LimitDate: looseText,
  /** 銀行代碼. */
  BankCode: looseText,
});
export type VirtualAccount = z.output<typeof virtualAccountSchema>;

const threeBarcodes = {
  /** 繳費條碼1 (Code-39). */
  BarCode1: looseText,
  /** 繳費條碼2 (Code-39). */
  BarCode2: looseText,
  /** 繳費條碼3 (Code-39). */
  BarCode3: looseText,
  /** 繳費有效期限 YYYYMMDDHHmmss. */
  LimitDate: looseText,
};

/** 『ibon』. */
export const ibonSchema = z.looseObject({
  /** 超商代碼(可用qrcode被掃). */
  PinCode: looseText,
  ...threeBarcodes,
  /** 三段條碼繳費期限 YYYYMMDDHHmmss. */
  BarcodeEndDate: looseText,
});
export type Ibon = z.output<typeof ibonSchema>;

/** 『FamiPort』. */
export const famiPortSchema = z.looseObject({
  /** 繳費代碼(可憑此代碼至設備列印繳費單). */
  PinCode: looseText,
  ...threeBarcodes,
  /** 三段條碼繳費期限 YYYYMMDDHHmmss. */
  BarcodeEndDate: looseText,
});
export type FamiPort = z.output<typeof famiPortSchema>;

/** 『Life-ET』. */
export const lifeEtSchema = z.looseObject({
  /** 繳費代碼. */
  PinCode: looseText,
  ...threeBarcodes,
});
export type LifeEt = z.output<typeof lifeEtSchema>;

/** 『超商條碼繳費』. */
export const storeBarcodeSchema = z.looseObject(threeBarcodes);
export type StoreBarcode = z.output<typeof storeBarcodeSchema>;

/** Which schema decodes `result_content`, by `result_content_type` (『資料內容所屬支付名稱』). */
export const RESULT_CONTENT_SCHEMAS = {
  E_COLLECTION: virtualAccountSchema,
  IBON: ibonSchema,
  FAMIPORT: famiPortSchema,
  LIFEET: lifeEtSchema,
  BARCODE: storeBarcodeSchema,
} as const;

/** 『商品細項』: one line of `invoice_order_detail` / allowance `order_detail`. */
export const invoiceDetailLineSchema = z.looseObject({
  /** 商品名稱. */
  Description: looseText,
  /** 數量. */
  Quantity: looseText,
  /** 單價. */
  UnitPrice: looseText,
  /** 總金額. */
  Amount: looseText,
});
export type InvoiceDetailLine = z.output<typeof invoiceDetailLineSchema>;
