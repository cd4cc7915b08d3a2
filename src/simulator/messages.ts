/**
 * Every `msg` / `retmsg` the simulator sends, in the spec's language and punctuation (the spec writes
 * `設備「A01」目前未連線,請確認` with an ASCII comma, and `執行成功。` with a full stop for
 * reprints and refunds but `執行成功` without one for querydirect). Kept in one place so clients and
 * tests can rely on them staying stable.
 */
export const MSG = {
  /** postransaction / posrefund / reprints accepted (spec: 重印發票、補印簽單、交易退款 samples). */
  ok: '執行成功。',
  /** querydirect (spec: 訂單查詢 sample). */
  queryOk: '執行成功',
  /** Undecryptable payload or unknown command: B500 with no detail (附錄二 B500 執行失敗). */
  failed: '執行失敗',
  unknownStore: '查無特約商店資料,請確認商務代號',
  storeMismatch: '資料異常:商務代號不一致',
  offline: (device: string) => `設備「${device}」目前未連線,請確認`,
  /** Contains 處理中: the gateway client classifies busy answers by that word. */
  busy: (device: string) => `設備「${device}」交易處理中,請稍後再試`,
  /** Contains 查無設備: the gateway client classifies it as invalid data (a wrong device_name). */
  unknownDevice: (device: string) => `查無設備「${device}」,請確認`,
  invalid: (field: string, problem: string) => `資料異常:欄位「${field}」${problem}`,
  duplicateOrder: (orderId: string) => `訂單編號「${orderId}」已存在,請勿重複發動交易`,
  noTransaction: '查無交易資料,請確認交易流水號與交易驗証碼',
  notRefundable: '此筆交易目前狀態無法退款',
  refundExceeds: (balance: number) => `退款金額超過可退款餘額(可退款金額 ${balance} 元)`,
  refundItemsMismatch: '退款項目之總金額與退款金額不一致',
  refundItemNames: '退款項目之項目名稱與交易時之產品項目名稱不符',
  notPrintable: '此筆交易目前狀態無法列印',
  notFound: '查無資料',
} as const;

/** `retmsg` per prc (附錄二 交易狀態代碼). */
export const PRC_RETMSG: Record<string, string> = {
  '100': '資料錯誤',
  '200': '資料正確',
  '220': '取消成功',
  '230': '退款成功',
  '250': '付款成功',
  '280': '交易成功,尚未付款完成',
  '290': '交易成功,但資訊不符',
  '300': '交易失敗',
  '400': '系統錯誤訊息',
  '600': '結帳完成',
  A0001: '交易待確認',
  A0002: '放棄交易',
};

export const retmsgFor = (prc: string): string => PRC_RETMSG[prc] ?? '交易狀態未定義';
