/**
 * Classifies a `B500` message. The spec (附錄二) gives one code for every refusal and only one sample
 * message, the offline one: `設備「A01」目前未連線,請確認`. Everything else is inferred from wording, so
 * the rules are ordered from the most to the least specific and anything unrecognised is `other`
 * (never retryable, surfaced to a person).
 *
 * Decisions:
 * - duplicate_order first: 訂單編號「X」已存在 — the gateway already has this order, so an earlier POST
 *   of ours did arrive: for a charge this is "outcome unknown, ask by query", never a rejection.
 * - offline first: 未連線 / 離線 / 斷線 / 未上線 (the message also names a 設備, which must not fall
 *   through to a device-data rule).
 * - busy: 忙碌 / 交易中 / 處理中 / 使用中 / 執行中 / 進行中 / 尚未完成 — the terminal is doing another
 *   operation; resending later is safe because B500 means "not processed".
 * - unknown_store: the merchant itself is not recognised — 商務代號 / 商店 / store with 不存在 / 錯誤 /
 *   無效 / 查無 / 找不到, or 金鑰 / 解密: we produced the ciphertext, so if the gateway cannot decrypt it
 *   the store/key pairing in our config is wrong, not the operation's data.
 * - invalid_data: field-level problems — 資料 / 格式 / 必填 / 欄位 / 參數 / 金額 / 不符 / 錯誤 / 驗證 /
 *   查無設備 / 設備不存在 (an unknown device is a wrong `device_name` in the request).
 */
import type { RejectionReason } from './errors.js';

const RULES: ReadonlyArray<readonly [RejectionReason, RegExp]> = [
  // The order_id is already known to the gateway (a resend of a charge whose first POST did arrive).
  ['duplicate_order', /(訂單|order)[^,,。]*(已存在|重複|already\s+exists|duplicate)/i],
  ['terminal_offline', /未連線|離線|斷線|未上線|不在線|offline|not\s+connected/i],
  ['terminal_busy', /忙碌|交易中|處理中|使用中|執行中|進行中|尚未完成|busy|in\s+progress/i],
  [
    'unknown_store',
    /(商務代號|商店代號|特約商店|商店|store)[^,,。]*(不存在|錯誤|無效|查無|找不到|not\s+found|unknown|invalid)|(查無|找不到|無此)(特約)?(商店|商務代號)|金鑰|解密/i,
  ],
  ['invalid_data', /資料|格式|必填|欄位|參數|金額|不符|錯誤|驗證|查無設備|設備不存在|invalid|required|missing/i],
];

export function classifyRejection(message: string): RejectionReason {
  for (const [reason, pattern] of RULES) if (pattern.test(message)) return reason;
  return 'other';
}
