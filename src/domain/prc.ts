/**
 * 附錄二 交易狀態代碼: what a `prc` (main transaction return code) means for us.
 * 「以下回傳的狀態代碼均須處理」: every code lands in exactly one {@link PrcClass}, and a code the
 * table does not have (other gateways of the vendor also send 260, 265, 270, 282, 284, 380) is
 * `unknown`: never success, not final, to be polled and surfaced for review.
 */

export const PRC_CLASSES = ['success', 'failure', 'review', 'refunded', 'cancelled', 'pending', 'unknown'] as const;
/**
 * - `success`: paid (250) or settled (600). Final.
 * - `failure`: failed (300), abandoned (A0002) or data error (100). Final.
 * - `review`: paid but the amounts or details do not match (290). Final; flag for a person.
 * - `refunded` (230) / `cancelled` (220): final for the operation that asked for them.
 * - `pending`: accepted (200), awaiting online payment (280), awaiting bank confirmation (A0001),
 *   system error (400): the gateway will report again.
 * - `unknown`: anything else, including an empty prc.
 */
export type PrcClass = (typeof PRC_CLASSES)[number];

export interface PrcEntry {
  /** 狀態說明. */
  label: string;
  /** 詳細說明, shortened. */
  detail: string;
  class: Exclude<PrcClass, 'unknown'>;
}

/** The table, in the spec's order, with its Chinese descriptions. */
export const PRC_TABLE = {
  '100': { label: '資料錯誤', detail: 'MYPAYLINK收到資料,但是格式或資料錯誤', class: 'failure' },
  '200': { label: '資料正確', detail: 'MYPAYLINK收到正確資料,會接續下一步交易', class: 'pending' },
  '220': { label: '取消成功', detail: '如申請取消,取消訂單狀態為取消成功', class: 'cancelled' },
  '230': { label: '退款成功', detail: '如申請退款,申請退款成功時狀態。', class: 'refunded' },
  '250': { label: '付款成功', detail: '此次交易,消費者付款成功', class: 'success' },
  '280': {
    label: '交易成功 尚未付款完成',
    detail: '儲值/WEBATM-線上待付款,等待狀態,等到使用者線上完成交易後MYPAY LINK會再傳送一次結果',
    class: 'pending',
  },
  '290': {
    label: '交易成功 但資訊不符',
    detail: '交易成功,但資訊不符(包含金額不符,如多繳或少繳...等),該類型交易請特別注意',
    class: 'review',
  },
  '300': { label: '交易失敗', detail: '金流服務商回傳交易失敗或該筆交易超過風險控管限制規則', class: 'failure' },
  '400': { label: '系統錯誤訊息', detail: '若MYPAY LINK或上游服務商系統異常時', class: 'pending' },
  '600': {
    label: '結帳完成',
    detail: '視為付款完成,此狀態為上游服務商確認訂單後的狀態,表示該筆訂單會撥款',
    class: 'success',
  },
  A0001: {
    label: '交易待確認',
    detail: 'MYPAY LINK與金流服務商發生連線異常,待查詢後確認結果,會主動再次回傳交易結果',
    class: 'pending',
  },
  A0002: {
    label: '放棄交易',
    detail: '消費者即放棄該筆交易,該筆交易視同交易失敗,為最終結果',
    class: 'failure',
  },
} as const satisfies Record<string, PrcEntry>;

export type Prc = keyof typeof PRC_TABLE;
export const PRCS = Object.keys(PRC_TABLE) as Prc[];

/** The canonical text of a prc as answers carry it (`250`, `" 250 "` and `'250'` are one code). */
function normalise(prc: string | number | null | undefined): string {
  if (prc === null || prc === undefined) return '';
  return String(prc).trim().toUpperCase();
}

/** Whether `prc` is one of the codes of 附錄二. */
export function isKnownPrc(prc: string | number | null | undefined): prc is Prc {
  return Object.prototype.hasOwnProperty.call(PRC_TABLE, normalise(prc));
}

/** The class of a prc; a code the table does not have is `unknown`, never `success`. */
export function classifyPrc(prc: string | number | null | undefined): PrcClass {
  const code = normalise(prc);
  return Object.prototype.hasOwnProperty.call(PRC_TABLE, code) ? PRC_TABLE[code as Prc].class : 'unknown';
}

const FINAL_CLASSES: ReadonlySet<PrcClass> = new Set(['success', 'failure', 'review', 'refunded', 'cancelled']);

/** Whether a prc ends its operation: no further report will change it (unknown codes are not final). */
export function isFinalPrc(prc: string | number | null | undefined): boolean {
  return FINAL_CLASSES.has(classifyPrc(prc));
}

/** 狀態說明 of a prc, or `undefined` for a code the table does not have. */
export function prcLabel(prc: string | number | null | undefined): string | undefined {
  const code = normalise(prc);
  return isKnownPrc(code) ? PRC_TABLE[code].label : undefined;
}
