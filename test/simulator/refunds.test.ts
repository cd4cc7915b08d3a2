/** Refunds: uid + key, refundable balance, partial refunds adding up, items total and names. */
import { describe, expect, it, vi } from 'vitest';
import { STORE, charge, control, queryRow, send, startSim } from './helpers.js';

const ITEMS = [
  { id: 'A', name: '拿鐵', cost: '60', amount: '2', total: '120' },
  { id: 'B', name: '可頌', cost: '80', amount: '1', total: '80' },
];

async function paidOrder(sim: Awaited<ReturnType<typeof startSim>>, orderId: string, cost = 200) {
  await send(sim, 'api/postransaction', charge(orderId, cost, { items: ITEMS }));
  const row = await queryRow(sim, orderId, cost);
  expect(row.prc).toBe('250');
  return { uid: String(row.uid), key: String(row.key) };
}

const refund = (ids: { uid: string; key: string }, cost: number | string, extra: Record<string, unknown> = {}) => ({
  store_uid: STORE.store_uid, device_name: 'A01', uid: ids.uid, key: ids.key, cost, ...extra,
});

describe('refunds', () => {
  it('partial refunds add up to the cost; the balance is enforced; the order becomes 230 when fully refunded', async () => {
    const sim = await startSim();
    const ids = await paidOrder(sim, 'R-1');
    expect(await send(sim, 'api/posrefund', refund(ids, 80, { items: [ITEMS[1]] }))).toEqual({ code: 'B200', msg: '執行成功。' });
    let row = await queryRow(sim, 'R-1', 200);
    expect(row.prc).toBe('250');
    expect(row.refund_order).toHaveLength(1);

    expect(await send(sim, 'api/posrefund', refund(ids, 121))).toEqual({ code: 'B500', msg: '退款金額超過可退款餘額(可退款金額 120 元)' });
    expect(await send(sim, 'api/posrefund', refund(ids, '60'))).toMatchObject({ code: 'B200' });
    expect(await send(sim, 'api/posrefund', refund(ids, 60))).toMatchObject({ code: 'B200' });
    row = await queryRow(sim, 'R-1', 200);
    expect(row.prc).toBe('230');
    const refunds = row.refund_order as { uid: string; prc: string; cost: string }[];
    expect(refunds.map((r) => [r.prc, r.cost])).toEqual([['230', '80'], ['230', '60'], ['230', '60']]);
    expect(new Set(refunds.map((r) => r.uid)).size).toBe(3);
    expect(refunds.every((r) => r.uid !== ids.uid)).toBe(true);

    expect(await send(sim, 'api/posrefund', refund(ids, 1))).toEqual({ code: 'B500', msg: '退款金額超過可退款餘額(可退款金額 0 元)' });
    const stats = await control<{ refunds: Record<string, unknown> }>(sim, 'GET', '/_sim/stats');
    expect(stats.refunds[ids.uid]).toEqual({ count: 3, amount: 200, balance: 0 });
  });

  it('items must add up to the refund amount and name items of the charge', async () => {
    const sim = await startSim();
    const ids = await paidOrder(sim, 'R-2');
    const mismatch = await send(sim, 'api/posrefund', refund(ids, 100, { items: [ITEMS[1]] }));
    expect(mismatch.code).toBe('B500');
    expect(mismatch.msg).toMatch(/^資料異常:欄位「cost」/);
    const foreign = await send(sim, 'api/posrefund', refund(ids, 80, { items: [{ id: 'Z', name: '倚天劍模型', cost: '80', amount: '1', total: '80' }] }));
    expect(foreign).toEqual({ code: 'B500', msg: '退款項目之項目名稱與交易時之產品項目名稱不符' });
    expect(sim.engine.ledger.find(STORE.store_uid, 'R-2')?.refunds).toHaveLength(0);
  });

  it('a wrong key, an unknown uid, another store or an unpaid order is refused and changes nothing', async () => {
    const sim = await startSim({ stores: [STORE, { store_uid: '100000000001', key: 'B'.repeat(32) }] });
    const ids = await paidOrder(sim, 'R-3');
    expect(await send(sim, 'api/posrefund', refund({ ...ids, key: 'f'.repeat(32) }, 10))).toEqual({ code: 'B500', msg: '查無交易資料,請確認交易流水號與交易驗証碼' });
    expect(await send(sim, 'api/posrefund', refund({ ...ids, uid: '1' }, 10))).toMatchObject({ code: 'B500' });
    const other = { store_uid: '100000000001', key: 'B'.repeat(32) };
    expect(await send(sim, 'api/posrefund', { ...refund(ids, 10), store_uid: other.store_uid }, { store: other })).toMatchObject({
      code: 'B500',
      msg: '查無交易資料,請確認交易流水號與交易驗証碼',
    });
    await send(sim, 'api/postransaction', charge('R-4', 151, { device_name: 'A02' }));
    const declined = await queryRow(sim, 'R-4', 151);
    expect(await send(sim, 'api/posrefund', refund({ uid: String(declined.uid), key: String(declined.key) }, 10))).toEqual({ code: 'B500', msg: '此筆交易目前狀態無法退款' });
    expect(sim.engine.ledger.find(STORE.store_uid, 'R-3')?.refunds).toHaveLength(0);
  });

  it('a refund keeps the terminal busy for the service time and shows in refund_order at once: prc 200 while pending, 230 when done', async () => {
    const sim = await startSim({ serviceMs: 400 });
    await send(sim, 'api/postransaction', charge('R-5', 200, { items: ITEMS }));
    await vi.waitFor(async () => expect((await queryRow(sim, 'R-5', 200)).prc).toBe('250'), { timeout: 2_000, interval: 10 });
    const row = await queryRow(sim, 'R-5', 200);
    const ids = { uid: String(row.uid), key: String(row.key) };
    expect(await send(sim, 'api/posrefund', refund(ids, 50))).toMatchObject({ code: 'B200' });
    // Pending refunds already count against the balance.
    expect(await send(sim, 'api/posrefund', refund(ids, 160, { device_name: 'A02' }))).toMatchObject({ msg: '退款金額超過可退款餘額(可退款金額 150 元)' });
    // Listed from the moment the gateway accepted it (『交易查詢-退款資訊』), unfinished.
    const pending = (await queryRow(sim, 'R-5', 200)).refund_order as Record<string, unknown>[];
    expect(pending).toEqual([expect.objectContaining({ prc: '200', cost: '50', retmsg: '資料正確', finishtime: '' })]);
    expect(pending[0]?.uid).not.toBe(ids.uid);
    expect(await send(sim, 'api/posrefund', refund(ids, 50))).toEqual({ code: 'B500', msg: '設備「A01」交易處理中,請稍後再試' });
    await vi.waitFor(async () => expect(((await queryRow(sim, 'R-5', 200)).refund_order as { prc: string }[]).map((r) => r.prc)).toEqual(['230']), { timeout: 2_000, interval: 10 });
    const done = (await queryRow(sim, 'R-5', 200)).refund_order as Record<string, unknown>[];
    expect(done[0]).toMatchObject({ uid: pending[0]?.uid, prc: '230', retmsg: '退款成功' });
    expect(done[0]?.finishtime).toMatch(/^\d{14}$/);
    const stats = await control<{ busyViolations: number }>(sim, 'GET', '/_sim/stats');
    expect(stats.busyViolations).toBe(1);
  });
});
