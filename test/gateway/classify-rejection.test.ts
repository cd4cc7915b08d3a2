import { describe, expect, it } from 'vitest';
import { classifyRejection, GatewayRejectedError } from '../../src/gateway/index.js';

describe('classifyRejection (B500 msg → reason)', () => {
  it.each([
    ['設備「A01」目前未連線,請確認', 'terminal_offline'], // the spec's own sample
    ['設備「B12」目前未連線,請確認', 'terminal_offline'],
    ['設備已離線', 'terminal_offline'],
    ['設備「A01」忙碌中,請稍後再試', 'terminal_busy'],
    ['設備「A01」交易中', 'terminal_busy'],
    ['前一筆交易處理中', 'terminal_busy'],
    ['訂單編號「123」已存在,請勿重複發動交易', 'duplicate_order'],
    ['商務代號不存在', 'unknown_store'],
    ['查無特約商店', 'unknown_store'],
    ['資料解密失敗', 'unknown_store'],
    ['資料錯誤', 'invalid_data'],
    ['cost 欄位必填', 'invalid_data'],
    ['訂單金額與商品小計不符', 'invalid_data'],
    ['設備不存在', 'invalid_data'],
    ['系統維護', 'other'],
    ['', 'other'],
  ] as const)('%s → %s', (msg, reason) => {
    expect(classifyRejection(msg)).toBe(reason);
  });

  it('only terminal_offline and terminal_busy are retryable', () => {
    const retryable = (['terminal_offline', 'terminal_busy', 'invalid_data', 'unknown_store', 'other'] as const).filter(
      (r) => new GatewayRejectedError('api/postransaction', r, 'x').retryable,
    );
    expect(retryable).toEqual(['terminal_offline', 'terminal_busy']);
  });
});
