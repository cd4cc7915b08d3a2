/**
 * Payment tools (pfn). Two tables in the spec:
 * - the names listed in 『銷售系統發動交易』 (field `pfn`), which a charge may send;
 * - 附錄一 PFN(支付工具)參數表, numeric codes for some of them: 「資料傳遞可使用編號,也可以使用代碼。
 *   例如:pfn=27跟pfn=PION,一樣都是使用Pi 拍錢包線上付款支付工具。」
 * {@link pfnSchema} accepts a name or its numeric code (number or string) and normalises to the name.
 */
import { z } from 'zod';
import { requiredOr } from './code-table.js';

export const PFNS = [
  'CREDITCARD',
  'OFFLINE',
  'LINEPAYON',
  'PION',
  'WECHAT',
  'ALIPAY',
  'JKOON',
  'EASYWALLETON',
  'PXPAYON',
  'PLUSPAYON',
  'CASH',
] as const;
export type Pfn = (typeof PFNS)[number];

/** Labels from 『銷售系統發動交易』. */
export const PFN_LABELS = {
  CREDITCARD: '信用卡',
  OFFLINE: '線下交易',
  LINEPAYON: 'LINEPay線上',
  PION: 'Pi錢包線上',
  WECHAT: '微信線上',
  ALIPAY: '支付寶線上',
  JKOON: '街口支付線上',
  EASYWALLETON: '悠遊付線上',
  PXPAYON: '全支付線上',
  PLUSPAYON: '全盈支付線上',
  CASH: '自行收款',
} as const satisfies Record<Pfn, string>;

/** 附錄一: numeric code → name (all listed as 啟用). Names without a code can only be sent by name. */
export const PFN_CODES = {
  10: 'ALIPAY',
  13: 'WECHAT',
  15: 'LINEPAYON',
  27: 'PION',
  31: 'JKOON',
  37: 'CASH',
  38: 'EASYWALLETON',
} as const satisfies Record<number, Pfn>;
export type PfnCode = keyof typeof PFN_CODES;

/** 附錄一 labels (說明 column). */
export const PFN_CODE_LABELS = {
  10: '支付寶',
  13: '微信支付',
  15: 'LINE線上付款(消費者主掃)',
  27: 'Pi 拍錢包線上付款(消費者主掃)',
  31: '街口支付線上付款(消費者主掃)',
  37: '現金支付',
  38: '悠遊付線上付款',
} as const satisfies Record<PfnCode, string>;

/** The numeric code of a name, when 附錄一 has one. */
export function pfnCode(name: Pfn): PfnCode | undefined {
  for (const [code, n] of Object.entries(PFN_CODES)) if (n === name) return Number(code) as PfnCode;
  return undefined;
}

/** Name or 附錄一 code → name; `undefined` when it is neither. */
export function normalisePfn(value: string | number): Pfn | undefined {
  const text = String(value).trim();
  if (/^\d+$/.test(text)) return (PFN_CODES as Record<number, Pfn>)[Number(text)];
  return (PFNS as readonly string[]).includes(text) ? (text as Pfn) : undefined;
}

const PFN_MESSAGE = `expected a pfn name (${PFNS.join(', ')}) or an 附錄一 code (${Object.keys(PFN_CODES).join(', ')})`;

/** Accepts `'PION'`, `27` or `'27'`; outputs `'PION'`. */
export const pfnSchema = z.union([z.string(), z.number()], { error: requiredOr(PFN_MESSAGE) }).transform((v, ctx): Pfn => {
  const name = normalisePfn(v);
  if (name) return name;
  ctx.issues.push({ code: 'custom', message: PFN_MESSAGE, input: v });
  return z.NEVER;
});
